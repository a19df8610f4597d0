"""The ``teleradlab`` command.

Each subcommand is a thin call into the library. Subpackages contribute their
subcommands through a ``commands`` module exposing ``register(subparsers)``; each
registered parser sets ``func`` to a callable taking the parsed namespace and
returning an exit code. Every :class:`~teleradlab.errors.TeleradlabError` and every
bad argument becomes one line on standard error and exit code 2; anything else is
caught too and reported as one "internal error" line (exit 3) — never a traceback
(set ``TELERADLAB_DEBUG=1`` to see one). Argument types shared by the subcommands
(:func:`positive_float`, :func:`scheduler_address`, :func:`output_folder`...) live here.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from teleradlab import __version__
from teleradlab.errors import TeleradlabError, one_line


class UsageError(Exception):
    """A command line argparse refused; :func:`main` prints it as one line."""


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block) and do not exit."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError` naming the (sub)command and the problem."""
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _number(text: str, kind: Callable[[str], float | int], what: str) -> float | int:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}: it must be finite")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number above zero (``--days 30``)."""
    value = float(_number(text, float, "a number"))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above zero")
    return value


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number of at least zero (``--warmup-days 0``)."""
    value = float(_number(text, float, "a number"))
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or more")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type: an integer of at least zero (``--seed 0``)."""
    value = int(_number(text, int, "an integer"))
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be zero or more")
    return value


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least one (``--workers 2``)."""
    value = int(_number(text, int, "an integer"))
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


_ADDRESS = re.compile(r"^(tcp|tls|inproc|ws|wss|ucx)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def scheduler_address(text: str) -> str:
    """An argparse type: a Dask scheduler address ``tcp://HOST:PORT`` (port 1–65535)."""
    m = _ADDRESS.match(text.strip())
    if not m or not 1 <= int(m.group(3)) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a scheduler address like tcp://HOST:8786")
    return text.strip()


def output_folder(text: str) -> str:
    """An argparse type: a folder to write into — absent (it is created) or a folder, not a file.

    The nearest folder that exists is tried for writing (a scratch folder made and
    removed there), so an unwritable destination is refused before any work is done.
    """
    if not text:
        raise argparse.ArgumentTypeError("empty path")
    p = Path(text)
    try:
        if p.exists() and not p.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is an existing file; give a folder")
        for parent in (p.absolute(), *p.absolute().parents):
            if parent.exists():
                if not parent.is_dir():
                    raise argparse.ArgumentTypeError(f"{text!r} lies under {str(parent)!r}, which is a file")
                os.rmdir(tempfile.mkdtemp(prefix=".teleradlab-write-check-", dir=parent))
                break
    except OSError as exc:  # a name too long for the file system, a path through an unreadable folder...
        raise argparse.ArgumentTypeError(f"{text[:80]!r}{'…' if len(text) > 80 else ''} cannot be used "
                                         f"({exc.strerror or exc})") from None
    return text


def report_skipped(command: str, skipped: Sequence[tuple[str, str]], *, allowed: bool) -> bool:
    """Print each file a folder command passed over, with its reason, one line each on stderr.

    Parameters
    ----------
    command : str
        The command, for the prefix (``teleradlab compress: skipped ...``).
    skipped : sequence of (path, reason)
    allowed : bool
        Whether ``--allow-skipped`` was given.

    Returns
    -------
    bool
        True when the command must stop: something was skipped and that was not allowed
        (a last line then says so).
    """
    for path, reason in skipped:
        print(f"teleradlab {command}: skipped {path}: {reason}", file=sys.stderr)
    if skipped and not allowed:
        print(f"teleradlab {command}: error: {len(skipped)} file(s) skipped (listed above); stopped before any "
              "result — fix or remove them, or pass --allow-skipped to go on without them", file=sys.stderr)
        return True
    return False

#: Modules that contribute subcommands, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "teleradlab.doctor",
    "teleradlab.runner",
    "teleradlab.imaging.commands",
    "teleradlab.compression.commands",
    "teleradlab.quality.commands",
    "teleradlab.network.commands",
    "teleradlab.netlab.commands",
    "teleradlab.sweep.commands",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand.

    Returns
    -------
    argparse.ArgumentParser
        The top-level parser; a module in :data:`COMMAND_MODULES` that is not
        present in this installation contributes nothing.
    """
    parser = OneLineParser(
        prog="teleradlab",
        description="Research and training environment for teleradiology.",
    )
    parser.add_argument("--version", action="version", version=f"teleradlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # that part of the package is not installed
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 1 when the command found problems it reports (doctor, a
        failed notebook, skipped files), 2 on bad input, 3 on an internal error.
    """
    try:
        parser = build_parser()
    except Exception as exc:  # noqa: BLE001 - a broken installation: still one line, no traceback
        if os.environ.get("TELERADLAB_DEBUG"):
            raise
        print(f"teleradlab: internal error: cannot load the commands ({type(exc).__name__}: {one_line(exc)}) — "
              "reinstall with `make install` (TELERADLAB_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 3
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        print(one_line(exc, limit=1000), file=sys.stderr)
        return 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    name = " ".join(v for v in (args.command, getattr(args, "action", None)) if v)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        # as Python's default filters do: ResourceWarnings are for developers, and one raised when the
        # garbage collector finalises an object (an unclosed file...) need not belong to this command
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            code = int(args.func(args) or 0)
        except TeleradlabError as exc:
            print(f"teleradlab {name}: error: {one_line(exc, limit=1000)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"teleradlab {name}: interrupted", file=sys.stderr)
            return 130
        except OSError as exc:  # the file system refused a path the user gave (too long, no permission...)
            where = f"{str(exc.filename)[:120]}: " if exc.filename else ""
            print(f"teleradlab {name}: error: {where}{exc.strerror or one_line(exc)}", file=sys.stderr)
            return 2
        except MemoryError as exc:  # input too large for this machine: not a bug, but say so plainly
            print(f"teleradlab {name}: error: out of memory ({one_line(exc)}); the input is too large for this "
                  "machine — use smaller or fewer images", file=sys.stderr)
            return 2
        except Exception as exc:  # noqa: BLE001 - the last guard: no traceback from the CLI
            if os.environ.get("TELERADLAB_DEBUG"):
                raise
            print(f"teleradlab {name}: internal error: {type(exc).__name__}: {one_line(exc)} — a bug; please "
                  "report it with the command line (TELERADLAB_DEBUG=1 shows the traceback)", file=sys.stderr)
            return 3
    seen = set()
    for w in caught:
        text = one_line(w.message)  # type: ignore[arg-type]
        if text not in seen:
            seen.add(text)
            print(f"teleradlab {name}: warning: {text}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
