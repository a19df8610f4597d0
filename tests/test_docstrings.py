"""The Examples sections of the package's docstrings run (doctest)."""

import doctest
import importlib
import pkgutil

import pytest

import teleradlab

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(teleradlab.__path__, prefix="teleradlab.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} docstring example(s) failed"
