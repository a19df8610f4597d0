"""Notebook targets: each sweep point executes the notebook through papermill.

Injected parameters are checked against the notebook's ``parameters`` cell before
anything runs: unknown names and values of the wrong type are refused. The executed
notebook is kept; its ``teleradlab.record`` values come back as metrics.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from teleradlab.errors import NotebookError, ParameterError
from teleradlab.experiments import value_fits
from teleradlab.nbtools import parameter_defaults, parameters_cell


def notebook_defaults(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parameters a notebook declares, with their default values."""
    p = Path(path)
    if not p.is_file():
        raise NotebookError("no such notebook", where=str(p))
    nb = json.loads(p.read_text())
    if parameters_cell(nb) is None:
        raise NotebookError("the notebook has no cell tagged 'parameters'", where=str(p))
    return parameter_defaults(nb)


def _type_ok(default: Any, value: Any) -> bool:
    # a notebook's default says the type: any number where its default is one (an int default takes 0.5)
    number = isinstance(default, int | float) and not isinstance(default, bool)
    return default is None or value is None or value_fits(value, float if number else type(default))


def check_parameters(path: str | os.PathLike[str], params: dict[str, Any], *, where: str = "parameters") -> None:
    """Refuse names the notebook does not declare and values whose type differs from the default's."""
    defaults = notebook_defaults(path)
    for name, value in params.items():
        if name == "seed" and name not in defaults:
            continue
        if name not in defaults:
            raise ParameterError(f"{Path(path).name} has no parameter {name!r}; it declares {sorted(defaults)}",
                                 where=f"{where}.{name}")
        if not _type_ok(defaults[name], value):
            raise ParameterError(f"{name}={value!r} is {type(value).__name__}, but the notebook's default is "
                                 f"{type(defaults[name]).__name__} ({defaults[name]!r})", where=f"{where}.{name}")


def run_notebook(path: str, params: dict[str, Any], out_dir: Path, key: str) -> dict[str, Any]:
    """Execute one point; return the values the notebook recorded."""
    import papermill as pm

    from teleradlab.kernel import KERNEL_NAME
    from teleradlab.runner import kernel_environment
    from teleradlab.sweep.record import RECORD_ENV

    defaults = notebook_defaults(path)
    inject = {k: v for k, v in params.items() if k in defaults}
    out_dir.mkdir(parents=True, exist_ok=True)
    record_file = out_dir / f"{key}.record.json"
    record_file.unlink(missing_ok=True)
    os.environ[RECORD_ENV] = str(record_file)
    try:
        with kernel_environment():
            pm.execute_notebook(path, str(out_dir / f"{key}.ipynb"), parameters=inject, kernel_name=KERNEL_NAME,
                                progress_bar=False, cwd=str(Path(path).resolve().parent))
    finally:
        os.environ.pop(RECORD_ENV, None)
    return json.loads(record_file.read_text()) if record_file.exists() else {}
