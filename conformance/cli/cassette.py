"""``fota-conformance check-cassette``: judge a recorded conversation offline."""

from __future__ import annotations

import argparse
from typing import Any

from conformance.cli._common import EXIT_UNTESTABLE, UsageError, add_report_flags, check_outputs, die, write_reports

__all__ = ["register"]


def register(sub: Any) -> None:
    cassette = sub.add_parser("check-cassette", help="judge a recorded vcrpy cassette offline, rule by rule",
                              description="Judge a recorded conversation (a vcrpy cassette) with no network: "
                                          "the rules observable from a recording pass or fail, the rest are "
                                          "skipped. Exit codes as for run.")
    cassette.add_argument("cassette", metavar="CASSETTE", help="the vcrpy YAML cassette")
    cassette.add_argument("--client", action="store_true",
                          help="judge the client's side instead (the CLIENT rules: what it sent, and how it "
                               "reacted to the answers); exit 3 when the cassette holds no FOTA v1 call")
    add_report_flags(cassette)
    cassette.set_defaults(handler=_cmd_check_cassette)


def _cmd_check_cassette(args: argparse.Namespace) -> int:
    from conformance.cassettes import CassetteError, check_cassette

    check_outputs(args.report_json, args.junit_xml, args.markdown)
    try:
        if args.client:
            from conformance.client import judge_cassette

            report = judge_cassette(args.cassette)
        else:
            report = check_cassette(args.cassette)
    except CassetteError as exc:
        raise UsageError(str(exc)) from None
    code = write_reports(args, report)
    if args.client and report.get("requests") == 0 and code != 2:
        return die(f"{args.cassette}: no call of the FOTA v1 operations in this cassette: no client was judged",
                   EXIT_UNTESTABLE)
    return code
