"""``fota-conformance run``: test a target rule by rule."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from conformance.cli._common import (
    COUNT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNTESTABLE,
    SECONDS,
    SECONDS_OR_ZERO,
    SEED,
    Progress,
    UsageError,
    add_report_flags,
    add_simulator_flags,
    check_outputs,
    die,
    load_world,
    simulator_profile,
    write_reports,
)

__all__ = ["register"]


def register(sub: Any) -> None:
    from conformance.suite.context import Settings

    d = Settings()
    run = sub.add_parser("run", help="test a target (default: the built-in simulator) rule by rule",
                         description="Test a FOTA v1 implementation against the behaviour rules. Without "
                         "--base-url, starts the reference simulator on a free loopback port and tests it.")
    run.add_argument("--base-url", metavar="URL", help="the API base URL that /upgrades hangs off")
    run.add_argument("--world", metavar="FILE",
                     help="world JSON (docs/simulator-contract.md); required without a control plane")
    add_report_flags(run)
    run.add_argument("--seed", type=SEED, default=d.seed, metavar="N",
                     help=f"seed of the generated requests (default {d.seed})")
    run.add_argument("--rules", metavar="ID[,ID…]", action="append",
                     help="only these rules or families (POST-01,AUTH or LIFE); repeatable")
    run.add_argument("--max-campaigns", type=COUNT, default=d.max_campaigns, metavar="N",
                     help=f"black-box safety: create at most N campaigns (default {d.max_campaigns})")
    run.add_argument("--timeout", type=SECONDS, default=d.timeout, metavar="S",
                     help=f"per-request timeout in seconds (default {d.timeout:g})")
    run.add_argument("--poll-interval", type=SECONDS, default=d.poll_interval, metavar="S",
                     help=f"without a control plane: poll campaign status this often (default {d.poll_interval:g})")
    run.add_argument("--poll-total", type=SECONDS_OR_ZERO, default=d.poll_total, metavar="S",
                     help="without a control plane: wait at most this long for RequestPending to be decided "
                     f"(default {d.poll_total:g}; polling stops as soon as it is)")
    run.add_argument("--examples", type=COUNT, default=d.examples, metavar="N",
                     help=f"requests per operation built from the world (default {d.examples}); random "
                          "negative ones drawn by Hypothesis: a tenth of N (quick), a fifth (default), ten "
                          "times N (thorough)")
    run.add_argument("--depth", choices=("quick", "default", "thorough"), default=d.depth,
                     help="how much input exploration: quick (a smoke gate), default (the CI gate, a few "
                          "seconds), thorough (a nightly job: minutes)")
    run.add_argument("--require-tested", action="store_true",
                     help="fail the gate (exit 1) when any rule could not be tested (e.g. needs the clock, "
                     "too few devices); rules left out with --rules do not count")
    run.add_argument("--record-cassette", metavar="FILE",
                     help="record every request of the run as a vcrpy cassette (tokens filtered)")
    # Development flags, for the project's fault tests: test a simulator with bugs planted on purpose.
    add_simulator_flags(run)
    run.set_defaults(handler=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    from conformance.suite.context import Settings
    from conformance.suite.runner import ConfigError, RunAborted, expand_rules, validate_base_url

    simulator_profile(args)  # refuse --simulator-* with --base-url before anything else
    try:
        base_url = validate_base_url(args.base_url) if args.base_url is not None else None
        rules = expand_rules(r for item in args.rules for r in item.split(",")) if args.rules else None
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    world = load_world(args.world)
    check_outputs(args.report_json, args.junit_xml, args.markdown, args.record_cassette)
    settings = Settings(timeout=args.timeout, seed=args.seed, max_campaigns=args.max_campaigns,
                        poll_interval=args.poll_interval, poll_total=args.poll_total, examples=args.examples,
                        depth=args.depth)
    progress = None if args.quiet else Progress(sys.stderr)
    try:
        with _terminated_as_interrupt(), _recording(args.record_cassette, world):
            if base_url is None:
                report = _run_on_simulator(args, world, settings, rules, progress)
            else:
                from conformance.suite.runner import run_suite

                report = run_suite(base_url, world=world, settings=settings, rules=rules, progress=progress)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except RunAborted as exc:
        # Still every report asked for: what was tested up to then, and why the run stopped.
        _close(progress)
        if exc.report is not None:
            write_reports(args, _gate(args, exc.report))
        return die(f"target could not be tested: {exc}", EXIT_UNTESTABLE)
    except KeyboardInterrupt as exc:
        _close(progress)
        partial = getattr(exc, "report", None)
        if partial is not None:
            write_reports(args, _gate(args, partial))
        return die("interrupted; campaigns created on a black-box target were cancelled", EXIT_INTERRUPTED)
    finally:
        _close(progress)
    report = _gate(args, report)
    return _exit_code(report, write_reports(args, report))


def _close(progress: Progress | None) -> None:
    if progress is not None:
        progress.close()


def _gate(args: argparse.Namespace, report: dict[str, Any]) -> dict[str, Any]:
    """--require-tested: every rule that could not be tested fails the gate (renderers show it)."""
    if not args.require_tested:
        return report
    untested = [r for r, why in report.get("coverage", {}).get("untested", {}).items() if why != "not selected"]
    report = {**report, "gate": {"require_tested": True, "passed": not untested, "untested": untested}}
    cov = report.get("coverage")
    if untested and isinstance(cov, dict) and cov.get("line"):
        # The last line of the summary is what a CI log shows: it must say the gate failed.
        report["coverage"] = {**cov, "line": f"GATE FAILED (--require-tested): {cov['line']}"}
    return report


def _exit_code(report: dict[str, Any], code: int) -> int:
    gate = report.get("gate")
    if code == EXIT_OK and isinstance(gate, dict) and not gate.get("passed", True):
        return EXIT_FAILED
    return code


@contextmanager
def _terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, a container stopped) ends a run as Ctrl-C does: the black-box
    cleanup runs and every report is written, with exit code 130."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    prof = simulator_profile(args)
    from conformance.simulator.server import SimulatorStartError, start
    from conformance.suite.runner import RunAborted, run_suite

    try:
        simulator = start(world=world, profile=prof, host="127.0.0.1", port=0)
    except SimulatorStartError as exc:
        raise RunAborted(f"the built-in simulator did not start: {exc}") from None
    with simulator:
        report: dict[str, Any] = run_suite(simulator.base_url, world=world, settings=settings, rules=rules,
                                           progress=progress)
    return report
