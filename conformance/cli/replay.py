"""``fota-conformance replay``: send recorded requests to a target and compare its answers, rule by rule."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from conformance.cli._common import (
    COUNT,
    EXIT_INTERRUPTED,
    EXIT_UNTESTABLE,
    SECONDS,
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
    from conformance.replay import ReplaySettings

    d = ReplaySettings()
    rp = sub.add_parser(
        "replay", help="replay recorded requests against a target and compare every answer with the recording",
        description="Send the API requests of one or more recordings (vcrpy cassettes of run --record-cassette, "
        "or schemathesis VCR files) to a target in their order, and compare each answer with the recorded one: "
        "status, error or success, schema, the fields that must match, campaign and device statuses. Ids, "
        "accounts, devices and dates are matched by role; fresh tokens stand in for the filtered ones. With a "
        "control plane the recorded world and clock moves are replayed; without one, --world says what the "
        "target holds, dates move at least 30 days ahead, clock moves are skipped, and every campaign created "
        "is cancelled at the end. Without --base-url, replays against the built-in reference simulator. "
        "Exit codes as for run.")
    rp.add_argument("cassettes", nargs="+", metavar="CASSETTE", help="recordings to replay, in this order")
    rp.add_argument("--base-url", metavar="URL", help="the API base URL that /upgrades hangs off")
    rp.add_argument("--world", metavar="FILE",
                    help="world JSON (docs/simulator-contract.md); required without a control plane")
    add_report_flags(rp)
    rp.add_argument("--max-campaigns", type=COUNT, default=d.max_campaigns, metavar="N",
                    help=f"black-box safety: create at most N campaigns (default {d.max_campaigns})")
    rp.add_argument("--timeout", type=SECONDS, default=d.timeout, metavar="S",
                    help=f"per-request timeout in seconds (default {d.timeout:g})")
    add_simulator_flags(rp)
    rp.set_defaults(handler=_cmd_replay)


def _cmd_replay(args: argparse.Namespace) -> int:
    from conformance.cassettes import CassetteError, load_cassette
    from conformance.replay import ReplaySettings, replay
    from conformance.suite.runner import ConfigError, RunAborted, validate_base_url

    simulator_profile(args)  # refuse --simulator-* with --base-url before reading anything
    try:
        base_url = validate_base_url(args.base_url) if args.base_url is not None else None
        cassettes = [load_cassette(path) for path in args.cassettes]
    except (ConfigError, CassetteError) as exc:
        raise UsageError(str(exc)) from None
    world = load_world(args.world)
    prof = simulator_profile(args)
    check_outputs(args.report_json, args.junit_xml, args.markdown)
    settings = ReplaySettings(timeout=args.timeout, max_campaigns=args.max_campaigns)
    progress = None if args.quiet else Progress(sys.stderr)
    try:
        if base_url is None:
            from conformance.simulator.server import SimulatorStartError, start

            try:
                simulator = start(world=world, profile=prof)
            except SimulatorStartError as exc:
                raise RunAborted(f"the built-in simulator did not start: {exc}") from None
            with simulator:
                report = replay(cassettes, simulator.base_url, world=world, settings=settings, progress=progress)
        else:
            report = replay(cassettes, base_url, world=world, settings=settings, progress=progress)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except RunAborted as exc:
        return die(f"target could not be tested: {exc}", EXIT_UNTESTABLE)
    except KeyboardInterrupt:
        return die("interrupted; campaigns created on a black-box target were cancelled", EXIT_INTERRUPTED)
    finally:
        if progress is not None:
            progress.close()
    return write_reports(args, report)
