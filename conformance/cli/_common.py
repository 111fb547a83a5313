"""What every command of ``fota-conformance`` shares: exit codes, the one-line error discipline,
argparse types, world/profile loading, and writing the reports of a run.

Every way a command can go wrong ends in one line on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn, TextIO

from conformance.report.jsonio import ReportError, check_writable, write_report, write_text

__all__ = [
    "COUNT",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNTESTABLE",
    "EXIT_USAGE",
    "PORT",
    "PROG",
    "SECONDS",
    "SECONDS_OR_ZERO",
    "SEED",
    "Parser",
    "Progress",
    "UsageError",
    "add_report_flags",
    "add_simulator_flags",
    "check_outputs",
    "die",
    "load_world",
    "number",
    "profile",
    "simulator_profile",
    "write_reports",
]

PROG = "fota-conformance"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNTESTABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(Exception):
    """A bad command line or configuration: one line on stderr, exit 2."""


class Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before its error; CI logs and the contract want one line.
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def number(kind: type[int] | type[float], *, minimum: float, exclusive: bool = False,
           maximum: float | None = None, what: str = "a number") -> Callable[[str], Any]:
    """An argparse ``type=`` for a bounded int or float: one factory instead of a validator per flag.

    ``exclusive`` makes ``minimum`` itself invalid (a timeout of 0 s is not a timeout).
    """

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):  # NaN and infinities
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        low_ok = value > minimum if exclusive else value >= minimum
        if not low_ok or (maximum is not None and value > maximum):
            bound = f"more than {minimum:g}" if exclusive else f"at least {minimum:g}"
            if maximum is not None:
                bound += f" and at most {maximum:g}"
            raise argparse.ArgumentTypeError(f"expected {what} {bound}, got {text!r}")
        return value

    parse.__name__ = what  # argparse names the type in "invalid <name> value" messages
    return parse


#: The bounded numbers the commands' flags take, one definition each.
SECONDS = number(float, minimum=0, exclusive=True, what="a number of seconds")
SECONDS_OR_ZERO = number(float, minimum=0, what="a number of seconds")
COUNT = number(int, minimum=1, what="a whole number")
SEED = number(int, minimum=0, what="a non-negative whole number (seed)")
PORT = number(int, minimum=0, maximum=65535, what="a port number")


def add_simulator_flags(parser: argparse.ArgumentParser) -> None:
    """--simulator-fault/--simulator-variant: development flags for the commands that can test the
    built-in simulator (no --base-url), so the project's fault tests can plant bugs on purpose."""
    parser.add_argument("--simulator-fault", action="append", default=[], metavar="NAME",
                        help="(development) plant this fault in the built-in simulator; see `faults`")
    parser.add_argument("--simulator-variant", action="append", default=[], metavar="NAME",
                        help="(development) switch on this allowed variant in the built-in simulator")


def simulator_profile(args: argparse.Namespace) -> Any:
    """The built-in simulator's profile from add_simulator_flags' flags; a usage error with --base-url."""
    if args.base_url is not None and (args.simulator_fault or args.simulator_variant):
        raise UsageError(f"--simulator-fault/--simulator-variant only apply to the built-in simulator "
                         f"({args.command} without --base-url)")
    return profile(args.simulator_fault, args.simulator_variant)


def die(message: str, code: int) -> int:
    print(f"{PROG}: {'error: ' if code == EXIT_USAGE else ''}{' '.join(message.split())}", file=sys.stderr)
    return code


def load_world(path: str | None) -> Any:
    if path is None:
        return None
    from conformance.spec.world import World, WorldError

    try:
        return World.load(path)
    except WorldError as exc:
        more = f"; `{PROG} world --check {path}` lists them all" if len(exc.problems) > 1 else ""
        raise UsageError(f"{exc}{more}") from None


def profile(faults: list[str], variants: list[str]) -> Any:
    from conformance.simulator.profile import Profile, ProfileError

    try:
        return Profile(faults=frozenset(faults), variants=frozenset(variants))
    except ProfileError as exc:
        raise UsageError(str(exc)) from None


def add_report_flags(parser: argparse.ArgumentParser) -> None:
    """--report-json, --junit-xml, --markdown and -q: the same on every command that writes a report."""
    parser.add_argument("--report-json", metavar="FILE", help="write the JSON report here")
    parser.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report (one testcase per rule)")
    parser.add_argument("--markdown", metavar="FILE", help="write a Markdown report (for an issue or a PR)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress; summary of problems only")


def check_outputs(*paths: str | None) -> None:
    """Fail before the run, not after it, when a report could not be written."""
    for path in paths:
        if path is not None:
            try:
                check_writable(path)
            except ReportError as exc:
                raise UsageError(str(exc)) from None


def write_reports(args: argparse.Namespace, report: dict[str, Any], *, prefix: str = "") -> int:
    """Write every report the command line asked for, print the terminal summary, return the exit code.

    ``prefix`` names the flags read (``client_``: --client-report-json, --client-junit-xml,
    --client-markdown of ``simulate --strict``)."""
    from conformance.report.junit import render_junit
    from conformance.report.markdown import render_markdown
    from conformance.report.terminal import render_terminal

    json_path, junit_path, markdown_path = (getattr(args, prefix + name, None)
                                            for name in ("report_json", "junit_xml", "markdown"))
    try:
        if json_path:
            write_report(report, json_path)
        if junit_path:
            write_text(junit_path, render_junit(report))
        if markdown_path:
            write_text(markdown_path, render_markdown(report))
    except ReportError as exc:
        # The run happened but its report is lost: a configuration problem of the caller's.
        sys.stdout.write(render_terminal(report, quiet=True))
        return die(str(exc), EXIT_USAGE)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")  # https://no-color.org
    sys.stdout.write(render_terminal(report, color=color, quiet=getattr(args, "quiet", False)))
    sys.stdout.flush()
    return EXIT_OK if report.get("conformant") else EXIT_FAILED


class Progress:
    """One line per check on stderr (logs), or a single self-overwriting line on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = 0.0
        self.dirty = False
        self.last_wait = float("-inf")

    def __call__(self, name: str, index: int, total: int, phase: str) -> None:
        width = len(str(total))
        if phase == "start":
            self.started = time.monotonic()
            if self.tty:
                # Cut to the terminal's width: a wrapped line could not be overwritten by the next.
                columns = shutil.get_terminal_size().columns
                line = f"[{index + 1:>{width}}/{total}] {name}"[: max(columns - 1, 10)]
                self.stream.write(f"\r\x1b[K{line}")
                self.stream.flush()
                self.dirty = True
        elif phase == "wait":
            # The suite is waiting on the target (polling a RequestPending campaign): say so, on a
            # log at most every 15 s, so that a slow vendor does not look like a hang.
            now = time.monotonic()
            if self.tty:
                columns = shutil.get_terminal_size().columns
                self.stream.write(f"\r\x1b[K{f'[{index + 1:>{width}}/{total}] {name}'[: max(columns - 1, 10)]}")
                self.dirty = True
            elif now - self.last_wait >= 15:
                self.stream.write(f"[{index + 1:>{width}}/{total}] {name}\n")
                self.last_wait = now
            self.stream.flush()
        elif not self.tty:
            self.stream.write(f"[{index + 1:>{width}}/{total}] {name} ({time.monotonic() - self.started:.2f} s)\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self.dirty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.dirty = False
