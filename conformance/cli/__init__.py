"""The ``fota-conformance`` command: one module per subcommand, each with ``register(subparsers)``
that adds its parser and sets ``handler``. A new command is a new module and one line in _COMMANDS.

Exit codes: 0 conformant, 1 a MUST rule failed, 2 usage or configuration error, 3 target could not
be tested, 130 interrupted (Ctrl-C; campaigns created on a black-box target are cancelled first).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from conformance.cli._common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, PROG, Parser, UsageError, die

__all__ = ["build_parser", "main"]

#: The subcommands, in the order `--help` lists them; each names a module of this package.
_COMMANDS = ("run", "simulate", "cassette", "replay", "diff", "faults", "rules", "world")


def build_parser() -> argparse.ArgumentParser:
    from conformance import __version__

    parser = Parser(prog=PROG, description="Conformance suite and reference simulator for the "
                    "Verizon ThingSpace FOTA v1 upgrade API.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"conformance.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(args_list)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except UsageError as exc:
        return die(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        return die("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # `fota-conformance faults | head`
        return EXIT_OK
