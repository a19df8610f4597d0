"""Notebook hygiene: committed notebooks carry no outputs and declare their parameters.

``python -m teleradlab.nbtools strip notebooks/*.ipynb`` removes outputs, execution
counts, widget state and editor metadata in place; ``normalise`` writes the
notebook-level metadata JupyterLab would add on opening (the kernel's
``language_info``, the teleradlab ``kernelspec``, format 4.5 with cell ids), so that a
notebook does not turn "modified" the moment it is opened; ``check`` lists what is
wrong (the test suite runs it on every notebook).
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from teleradlab.files import atomic_write_text

KERNEL_NAME = "teleradlab"  #: the kernelspec every notebook names (registered by teleradlab.kernel)
KERNELSPEC = {"display_name": "Python (teleradlab)", "language": "python", "name": KERNEL_NAME}
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


def language_info() -> dict:
    """The ``language_info`` the teleradlab kernel (ipykernel, this interpreter) reports on connecting.

    JupyterLab writes it into a notebook's metadata when the kernel starts; a notebook
    committed without it, or with different values, is therefore "modified" as soon
    as it is opened. Only ``version`` depends on the interpreter.
    """
    from ipykernel.ipkernel import IPythonKernel

    return json.loads(json.dumps(IPythonKernel.language_info))


def normalise(path: str | Path) -> bool:
    """Give a notebook the metadata JupyterLab adds on opening; touch nothing else.

    Sets ``metadata.kernelspec`` to the teleradlab kernel, ``metadata.language_info``
    to :func:`language_info`, ``nbformat_minor`` to at least 5, and gives every cell
    without one a stable ``id`` (derived from the file name and the cell's position).

    Returns
    -------
    bool
        True when the file changed.
    """
    path = Path(path)
    return _rewrite(path, lambda nb: _normalised(nb, path.name), sort_keys=True)  # as Jupyter saves it


def _normalised(nb: dict, name: str) -> None:
    meta = nb.setdefault("metadata", {})
    meta["kernelspec"] = dict(KERNELSPEC)
    meta["language_info"] = language_info()
    nb["nbformat"], nb["nbformat_minor"] = 4, max(5, int(nb.get("nbformat_minor", 0)))
    taken = {c.get("id") for c in nb.get("cells", []) if c.get("id")}
    for i, cell in enumerate(nb.get("cells", [])):
        if not cell.get("id"):
            k = 0
            while (cid := hashlib.sha1(f"{name}:{i}:{k}".encode()).hexdigest()[:8]) in taken:
                k += 1
            cell["id"] = cid
            taken.add(cid)


def _rewrite(path: Path, edit: Callable[[dict], None], *, sort_keys: bool = False) -> bool:
    """Apply ``edit`` to a notebook's JSON and write it back (atomically) only if it changed."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    edit(nb)
    new = json.dumps(nb, indent=1, sort_keys=sort_keys, ensure_ascii=False) + "\n"
    if new != text:
        atomic_write_text(path, new)
        return True
    return False


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
    problems += _opening_changes(path, nb)
    return problems


def _opening_changes(path: Path, nb: dict) -> list[str]:
    """What JupyterLab would change on opening (making the notebook "modified")."""
    problems = []
    fix = f"run python -m teleradlab.nbtools normalise {path.name}"
    if nb.get("metadata", {}).get("kernelspec") != KERNELSPEC:
        problems.append(f"{path}: kernelspec differs from {KERNELSPEC} ({fix})")
    have = dict(nb.get("metadata", {}).get("language_info") or {})
    want = language_info()
    if not have:
        problems.append(f"{path}: no language_info: JupyterLab adds it on opening ({fix})")
    elif {k: v for k, v in have.items() if k != "version"} != {k: v for k, v in want.items() if k != "version"}:
        problems.append(f"{path}: language_info differs from what the kernel reports ({fix})")
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0) >= 5) != (4, True):
        problems.append(f"{path}: format must be 4.5 or later, with cell ids ({fix})")
    if any(not c.get("id") for c in nb.get("cells", [])):
        problems.append(f"{path}: cells without an id ({fix})")
    return problems


def strip(path: str | Path) -> bool:
    """Strip outputs, execution counts, widget state and editor metadata in place.

    Returns
    -------
    bool
        True when the file changed.
    """
    return _rewrite(Path(path), _stripped)


def _stripped(nb: dict) -> None:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        meta = cell.get("metadata", {})
        for key in ("execution", "papermill", "collapsed", "scrolled", "jupyter"):
            meta.pop(key, None)
    nb["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k in KEEP_METADATA}


def main(argv: list[str] | None = None) -> int:
    """``python -m teleradlab.nbtools strip|normalise|check FILES...``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] not in ("strip", "normalise", "check"):
        print("usage: python -m teleradlab.nbtools strip|normalise|check NOTEBOOK...", file=sys.stderr)
        return 2
    if argv[0] in ("strip", "normalise"):
        action = strip if argv[0] == "strip" else normalise
        for f in argv[1:]:
            if action(f):
                print(f"{argv[0]}d {f}".replace("stripd", "stripped"))
        return 0
    problems = [p for f in argv[1:] for p in check(f)]
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
