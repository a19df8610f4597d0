"""The ``teleradlab`` command.

Each subcommand is a thin call into the library. Subpackages contribute their
subcommands through a ``commands`` module exposing ``register(subparsers)``; each
registered parser sets ``func`` to a callable taking the parsed namespace and
returning an exit code. Every :class:`~teleradlab.errors.TeleradlabError` becomes
one line on standard error and exit code 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from teleradlab import __version__
from teleradlab.errors import TeleradlabError

#: Modules that contribute subcommands, in the order they appear in ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "teleradlab.doctor",
    "teleradlab.runner",
    "teleradlab.imaging.commands",
    "teleradlab.compression.commands",
    "teleradlab.quality.commands",
    "teleradlab.network.commands",
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
    parser = argparse.ArgumentParser(
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
        failed notebook), 2 on bad input.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TeleradlabError as exc:
        print(f"teleradlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"teleradlab {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
