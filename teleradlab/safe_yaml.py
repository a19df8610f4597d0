"""One YAML loader for every file teleradlab reads (scenarios, sweep specs), with resource guards.

``yaml.safe_load`` refuses code tags but not cost: a kilobyte of nested aliases (a
"billion laughs" bomb) expands to billions of nodes for whoever walks the result,
and a deeply nested document exhausts the stack. :func:`load_yaml` therefore reads
at most :data:`MAX_BYTES`, insists on UTF-8, composes the node graph without
constructing it, and refuses a document whose tree — aliases expanded — has more
than :data:`MAX_NODES` nodes or is deeper than :data:`MAX_DEPTH`, before any Python
object is built. Each problem is one :class:`~teleradlab.errors.TeleradlabError`
of the caller's subclass, naming the file (and line, for syntax errors).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from teleradlab.errors import TeleradlabError, one_line

#: Largest YAML file read, in bytes; the largest shipped scenario is under 10 kB.
MAX_BYTES = 1_000_000
#: Most nodes the document may expand to, aliases counted at every use.
MAX_NODES = 200_000
#: Deepest nesting of mappings and sequences.
MAX_DEPTH = 64


def _expanded(root: yaml.Node, limit_nodes: int, limit_depth: int) -> tuple[int, int]:
    """(nodes, depth) of the tree under ``root`` with aliases expanded; stops early past a limit.

    Shared nodes (an anchor used by several aliases) are measured once and their
    size counted at every use, so a bomb is measured in time linear in its text.
    """
    size: dict[int, tuple[int, int]] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            n = 1 + sum(size[id(c)][0] for c in children)
            d = 1 + max((size[id(c)][1] for c in children), default=0)
            size[key] = (min(n, limit_nodes + 1), d)
            if n > limit_nodes or d > limit_depth:
                return n, d
            continue
        if key in size:
            continue
        if key in on_path:
            return limit_nodes + 1, limit_depth + 1  # a recursive alias: infinite when expanded
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                return limit_nodes + 1, limit_depth + 1
            if id(child) not in size:
                stack.append((child, False))
    return size[id(root)]


_QUOTED_OR_COMMENT = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|(?:^|\s)#[^\n]*""")


def _flow_depth(text: str, stop: int = MAX_DEPTH) -> int:
    """Deepest nesting of flow brackets ``[ ] { }`` outside quotes and comments, counted in one
    pass over the text and given up as soon as it passes ``stop``."""
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", _QUOTED_OR_COMMENT.sub("", text)):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
        if deepest > stop:
            break
    return deepest


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load_yaml(source: str | os.PathLike[str], *, error: type[TeleradlabError] = TeleradlabError,
              max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """Load a YAML file safely (no code tags) within size, expansion and depth limits.

    Parameters
    ----------
    source : path-like
        The YAML file.
    error : type
        The :class:`~teleradlab.errors.TeleradlabError` subclass to raise
        (``ScenarioError``, ``SweepError``...).
    max_bytes, max_nodes, max_depth : int
        The limits (:data:`MAX_BYTES`, :data:`MAX_NODES`, :data:`MAX_DEPTH`).

    Returns
    -------
    object
        What ``yaml.safe_load`` would return (None for an empty file).

    Raises
    ------
    TeleradlabError
        Of class ``error``: a missing or unreadable file, one above ``max_bytes``,
        text that is not UTF-8, malformed YAML (with its line), a document that
        expands beyond ``max_nodes`` or nests deeper than ``max_depth``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = f.write_text("a: &x [1, 2]\\nb: *x\\n")
    >>> load_yaml(f)
    {'a': [1, 2], 'b': [1, 2]}
    """
    p = Path(source)
    where = str(p)
    try:
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise error("no such file", where=where) from None
    except OSError as exc:
        raise error(f"cannot read the file ({one_line(exc)})", where=where) from None
    if len(data) > max_bytes:
        raise error(f"the file is larger than {max_bytes} bytes; refused", where=where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r})",
                    where=f"{where}:{line}") from None
    if _flow_depth(text, max_depth) > max_depth:  # before the parser, which is slow on thousands of open brackets
        raise error(f"nested deeper than {max_depth} levels; refused", where=where)
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # its reader refuses control characters (a NUL...) here already
        node = loader.get_single_node()
        if node is None:
            return None
        nodes, depth = _expanded(node, max_nodes, max_depth)
        if depth > max_depth:
            raise error(f"nested deeper than {max_depth} levels (aliases expanded); refused", where=where)
        if nodes > max_nodes:
            raise error(f"expands to more than {max_nodes} nodes (aliases expanded: an alias bomb?); refused",
                        where=where)
        try:
            return loader.construct_document(node)
        except (ValueError, OverflowError) as exc:  # a scalar YAML resolves but Python cannot hold: 2026-02-30
            raise error(f"invalid value ({one_line(exc)})", where=where) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or one_line(exc)
        raise error(f"malformed YAML ({problem})", where=f"{where}:{mark.line + 1}" if mark else where) from None
    except RecursionError:
        raise error(f"nested deeper than {max_depth} levels; refused", where=where) from None
    finally:
        if loader is not None:
            loader.dispose()
