"""The ``fota-conformance`` command (CONTRACT.md §2): ``run``, ``simulate`` and ``faults``.

Every way a run can go wrong ends in one line on stderr and an exit code, never a traceback:
0 conformant, 1 a MUST rule failed, 2 usage or configuration error, 3 target could not be tested,
130 interrupted (Ctrl-C; campaigns created on a black-box target are cancelled first).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, NoReturn, TextIO

from conformance.report.jsonio import ReportError, check_writable, write_report, write_text

__all__ = ["main"]

PROG = "fota-conformance"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNTESTABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _UsageError(Exception):
    """A bad command line or configuration: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before its error; CI logs and the CONTRACT want one line.
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see {self.prog} --help)")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    return _positive_float(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative seed, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port between 0 and 65535, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from conformance import __version__
    from conformance.suite.context import Settings

    d = Settings()
    parser = _Parser(prog=PROG, description="Conformance suite and reference simulator for the "
                     "Verizon ThingSpace FOTA v1 upgrade API.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    run = sub.add_parser("run", help="test a target (default: the built-in simulator) rule by rule",
                         description="Test a FOTA v1 implementation against the behaviour rules. Without "
                         "--base-url, starts the reference simulator on a free loopback port and tests it.")
    run.add_argument("--base-url", metavar="URL", help="the API base URL that /upgrades hangs off")
    run.add_argument("--world", metavar="FILE", help="world JSON (CONTRACT §1); required without a control plane")
    run.add_argument("--report-json", metavar="FILE", help="write the JSON report here")
    run.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report (one testcase per rule)")
    run.add_argument("--markdown", metavar="FILE", help="write a Markdown report (for an issue or a PR)")
    run.add_argument("--seed", type=_seed, default=d.seed, metavar="N",
                     help=f"seed of the generated requests (default {d.seed})")
    run.add_argument("--rules", metavar="ID[,ID…]", action="append",
                     help="only these rules or families (POST-01,AUTH or LIFE); repeatable")
    run.add_argument("--max-campaigns", type=_positive_int, default=d.max_campaigns, metavar="N",
                     help=f"black-box safety: create at most N campaigns (default {d.max_campaigns})")
    run.add_argument("--timeout", type=_positive_float, default=d.timeout, metavar="S",
                     help=f"per-request timeout in seconds (default {d.timeout:g})")
    run.add_argument("--poll-interval", type=_positive_float, default=d.poll_interval, metavar="S",
                     help="without a control plane: poll campaign status this often")
    run.add_argument("--poll-total", type=_non_negative_float, default=d.poll_total, metavar="S",
                     help="without a control plane: poll for at most this long")
    run.add_argument("--examples", type=_positive_int, default=d.examples, metavar="N",
                     help=f"Hypothesis examples per operation (default {d.examples})")
    run.add_argument("--record-cassette", metavar="FILE",
                     help="record every request of the run as a vcrpy cassette (tokens filtered)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress; summary of problems only")
    # Development flags, for the project's fault tests: test a simulator with bugs planted on purpose.
    run.add_argument("--simulator-fault", action="append", default=[], metavar="NAME",
                     help="(development) plant this fault in the built-in simulator; see `faults`")
    run.add_argument("--simulator-variant", action="append", default=[], metavar="NAME",
                     help="(development) switch on this allowed variant in the built-in simulator")

    sim = sub.add_parser("simulate", help="serve the reference simulator",
                         description="Serve the reference simulator (with the control plane) until Ctrl-C.")
    sim.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=_port, default=8080, help="port (default 8080; 0 picks a free one)")
    sim.add_argument("--world", metavar="FILE", help="world JSON to start with (default: the built-in one)")
    sim.add_argument("--fault", action="append", default=[], metavar="NAME", help="plant a fault; repeatable")
    sim.add_argument("--variant", action="append", default=[], metavar="NAME",
                     help="switch on an allowed variant; repeatable")
    sim.add_argument("--realtime", action="store_true", help="let the clock follow wall time")
    sim.add_argument("--no-control-plane", action="store_true",
                     help="serve no /__control/* (stand in for a black-box target such as the vendor's API)")

    cassette = sub.add_parser("check-cassette", help="judge a recorded vcrpy cassette offline, rule by rule",
                              description="Judge a recorded conversation (a vcrpy cassette) with no network: "
                                          "the rules observable from a recording pass or fail, the rest are "
                                          "skipped. Exit codes as for run.")
    cassette.add_argument("cassette", metavar="CASSETTE", help="the vcrpy YAML cassette")
    cassette.add_argument("--report-json", metavar="FILE", help="write the JSON report here")
    cassette.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report (one testcase per rule)")
    cassette.add_argument("--markdown", metavar="FILE", help="write a Markdown report")
    cassette.add_argument("-q", "--quiet", action="store_true", help="summary of problems only")

    faults = sub.add_parser("faults", help="list the simulator's planted faults and allowed variants")
    faults.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(args_list)
        command: Callable[[argparse.Namespace], int] = {"run": _cmd_run, "simulate": _cmd_simulate,
                                                         "check-cassette": _cmd_check_cassette,
                                                         "faults": _cmd_faults}[args.command]
        return command(args)
    except _UsageError as exc:
        return _die(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:
        return _die("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # `fota-conformance faults | head`
        return EXIT_OK


def _die(message: str, code: int) -> int:
    print(f"{PROG}: {'error: ' if code == EXIT_USAGE else ''}{' '.join(message.split())}", file=sys.stderr)
    return code


# --- run --------------------------------------------------------------------------------------------

def _load_world(path: str | None) -> Any:
    if path is None:
        return None
    from conformance.spec.world import World, WorldError

    try:
        return World.load(path)
    except WorldError as exc:
        raise _UsageError(str(exc)) from None


def _profile(faults: list[str], variants: list[str]) -> Any:
    from conformance.simulator.profile import Profile, ProfileError

    try:
        return Profile(faults=frozenset(faults), variants=frozenset(variants))
    except ProfileError as exc:
        raise _UsageError(str(exc)) from None


def _cmd_run(args: argparse.Namespace) -> int:
    from conformance.suite.context import Settings
    from conformance.suite.runner import ConfigError, RunAborted, expand_rules, validate_base_url

    if args.base_url is not None and (args.simulator_fault or args.simulator_variant):
        raise _UsageError("--simulator-fault/--simulator-variant only apply to the built-in simulator "
                          "(run without --base-url)")
    try:
        base_url = validate_base_url(args.base_url) if args.base_url is not None else None
        rules = expand_rules(r for item in args.rules for r in item.split(",")) if args.rules else None
    except ConfigError as exc:
        raise _UsageError(str(exc)) from None
    world = _load_world(args.world)
    _check_outputs(args.report_json, args.junit_xml, args.markdown, args.record_cassette)
    settings = Settings(timeout=args.timeout, seed=args.seed, max_campaigns=args.max_campaigns,
                        poll_interval=args.poll_interval, poll_total=args.poll_total, examples=args.examples)
    progress = None if args.quiet else _Progress(sys.stderr)
    try:
        with _recording(args.record_cassette, world):
            if base_url is None:
                report = _run_on_simulator(args, world, settings, rules, progress)
            else:
                from conformance.suite.runner import run_suite

                report = run_suite(base_url, world=world, settings=settings, rules=rules, progress=progress)
    except ConfigError as exc:
        raise _UsageError(str(exc)) from None
    except RunAborted as exc:
        return _die(f"target could not be tested: {exc}", EXIT_UNTESTABLE)
    except KeyboardInterrupt:
        return _die("interrupted; campaigns created on a black-box target were cancelled", EXIT_INTERRUPTED)
    finally:
        if progress is not None:
            progress.close()
    return _write_reports(args, report)


def _check_outputs(*paths: str | None) -> None:
    """Fail before the run, not after it, when a report could not be written."""
    for path in paths:
        if path is not None:
            try:
                check_writable(path)
            except ReportError as exc:
                raise _UsageError(str(exc)) from None


def _recording(path: str | None, world: Any) -> AbstractContextManager[Any]:
    if path is None:
        return nullcontext()
    from conformance.cassettes import record
    from conformance.suite.context import suite_world

    tokens = [t for c in (world or suite_world()).credentials for t in (c.bearer, c.m2m)]
    return record(path, secrets=tokens, drop_response_headers=("date", "server"))


def _run_on_simulator(args: argparse.Namespace, world: Any, settings: Any, rules: list[str] | None,
                      progress: Any) -> dict[str, Any]:
    """The zero-setup demonstration: the reference simulator on a free loopback port."""
    profile = _profile(args.simulator_fault, args.simulator_variant)
    from conformance.simulator.server import SimulatorStartError, start
    from conformance.suite.runner import RunAborted, run_suite

    try:
        simulator = start(world=world, profile=profile, host="127.0.0.1", port=0)
    except SimulatorStartError as exc:
        raise RunAborted(f"the built-in simulator did not start: {exc}") from None
    with simulator:
        report: dict[str, Any] = run_suite(simulator.base_url, world=world, settings=settings, rules=rules,
                                           progress=progress)
    return report


def _write_reports(args: argparse.Namespace, report: dict[str, Any]) -> int:
    from conformance.report.junit import render_junit
    from conformance.report.markdown import render_markdown
    from conformance.report.terminal import render_terminal

    try:
        if args.report_json:
            write_report(report, args.report_json)
        if args.junit_xml:
            write_text(args.junit_xml, render_junit(report))
        if args.markdown:
            write_text(args.markdown, render_markdown(report))
    except ReportError as exc:
        # The run happened but its report is lost: a configuration problem of the caller's.
        sys.stdout.write(render_terminal(report, quiet=True))
        return _die(str(exc), EXIT_USAGE)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")  # https://no-color.org
    sys.stdout.write(render_terminal(report, color=color, quiet=args.quiet))
    sys.stdout.flush()
    return EXIT_OK if report.get("conformant") else EXIT_FAILED


class _Progress:
    """One line per check on stderr (logs), or a single self-overwriting line on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = 0.0
        self.dirty = False

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
        elif not self.tty:
            self.stream.write(f"[{index + 1:>{width}}/{total}] {name} ({time.monotonic() - self.started:.2f} s)\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and self.dirty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


# --- simulate and faults ------------------------------------------------------------------------------

def _cmd_simulate(args: argparse.Namespace) -> int:
    world = _load_world(args.world)
    profile = _profile(args.fault, args.variant)
    from conformance.simulator.server import SimulatorStartError, serve_forever

    try:
        return serve_forever(host=args.host, port=args.port, world=world, profile=profile, realtime=args.realtime,
                             control_plane=not args.no_control_plane)
    except SimulatorStartError as exc:
        raise _UsageError(str(exc)) from None
    except KeyboardInterrupt:
        return EXIT_OK  # Ctrl-C is how a simulator is meant to stop


# --- check-cassette ---------------------------------------------------------------------------------

def _cmd_check_cassette(args: argparse.Namespace) -> int:
    from conformance.cassettes import CassetteError, check_cassette

    _check_outputs(args.report_json, args.junit_xml, args.markdown)
    try:
        report = check_cassette(args.cassette)
    except CassetteError as exc:
        raise _UsageError(str(exc)) from None
    return _write_reports(args, report)


def _cmd_faults(args: argparse.Namespace) -> int:
    from conformance.simulator.profile import FAULTS, VARIANTS

    rows = [("fault", f.name, f.rule, f.description) for f in FAULTS.values()]
    rows += [("variant", v.name, ", ".join(v.rules), v.description) for v in VARIANTS.values()]
    if args.format == "json":
        print(json.dumps([{"kind": k, "name": n, "rules": r.split(", "), "description": d} for k, n, r, d in rows],
                         indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print("| kind | name | rule | description |\n| --- | --- | --- | --- |")
        for k, n, r, d in rows:
            cell = d.replace("|", "\\|")  # a pipe would end the table cell
            print(f"| {k} | `{n}` | {r} | {cell} |")
    else:
        name_w = max(len(n) for _, n, _, _ in rows)
        rule_w = max(len(r) for _, _, r, _ in rows)
        for k, n, r, d in rows:
            print(f"{k:<8} {n:<{name_w}}  {r:<{rule_w}}  {d}")
    return EXIT_OK
