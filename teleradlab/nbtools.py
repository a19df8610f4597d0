"""Notebook hygiene: committed notebooks carry no outputs and declare their parameters.

``python -m teleradlab.nbtools strip notebooks/*.ipynb`` removes outputs, execution
counts, widget state and editor metadata in place; ``check`` lists what is wrong
(the test suite runs it on every notebook).
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

from teleradlab.files import atomic_write_text

KERNEL_NAME = "teleradlab"
#: Notebook-level metadata keys that may be committed.
KEEP_METADATA = ("kernelspec", "language_info")


def parameters_cell(nb: dict) -> dict | None:
    """Return the first code cell tagged ``parameters``, or None."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def parameter_defaults(nb: dict) -> dict[str, object]:
    """Evaluate the literal assignments of a notebook's ``parameters`` cell.

    Returns
    -------
    dict
        Name → value for each ``name = <literal>`` in the cell (others are skipped).
    """
    cell = parameters_cell(nb)
    if cell is None:
        return {}
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    values: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    try:
                        values[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        continue
    return values


def check(path: str | Path) -> list[str]:
    """List the hygiene problems of one notebook (empty when clean)."""
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: not a readable notebook ({exc})"]
    problems = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"{path}: cell {i} has outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"{path}: cell {i} has an execution count")
    if "widgets" in nb.get("metadata", {}):
        problems.append(f"{path}: widget state is committed")
    if parameters_cell(nb) is None:
        problems.append(f"{path}: no cell tagged 'parameters'")
    elif parameter_defaults(nb).get("ci", None) is not False:
        problems.append(f"{path}: the parameters cell must set ci = False")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != KERNEL_NAME:
        problems.append(f"{path}: kernelspec must be '{KERNEL_NAME}'")
    return problems


def strip(path: str | Path) -> bool:
    """Strip outputs, execution counts, widget state and editor metadata in place.

    Returns
    -------
    bool
        True when the file changed.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata", {})
        for key in ("execution", "papermill", "collapsed", "scrolled", "jupyter"):
            meta.pop(key, None)
    nb["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k in KEEP_METADATA}
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new != text:
        atomic_write_text(path, new)
        return True
    return False


def main(argv: list[str] | None = None) -> int:
    """``python -m teleradlab.nbtools strip|check FILES...``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] not in ("strip", "check"):
        print("usage: python -m teleradlab.nbtools strip|check NOTEBOOK...", file=sys.stderr)
        return 2
    if argv[0] == "strip":
        for f in argv[1:]:
            if strip(f):
                print(f"stripped {f}")
        return 0
    problems = [p for f in argv[1:] for p in check(f)]
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
