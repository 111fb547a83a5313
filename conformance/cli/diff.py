"""``fota-conformance diff``: every behavioural difference between two recordings or two reports, by rule."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from conformance.cli._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, check_outputs, die

__all__ = ["register"]


def register(sub: Any) -> None:
    df = sub.add_parser(
        "diff", help="compare two recordings of the same scenario, or two JSON reports of run, rule by rule",
        description="List every behavioural difference from OLD to NEW, grouped by the rule it touches: statuses, "
        "error codes, fields that appeared or vanished, device items, lifecycle paths, and the branch a target "
        "chose where the rules allow several. OLD and NEW are two cassettes (vcrpy or schemathesis VCR) or two "
        "JSON reports of run. Exit 0: no difference touches a rule; 1: at least one does; 2: bad input.")
    df.add_argument("old", metavar="OLD", help="the earlier recording or report")
    df.add_argument("new", metavar="NEW", help="the later recording or report")
    df.add_argument("--report-json", metavar="FILE", help="write the differences as JSON here")
    df.add_argument("--markdown", metavar="FILE", help="write a Markdown rendering (for a pull request)")
    df.add_argument("-q", "--quiet", action="store_true", help="only the verdict line")
    df.set_defaults(handler=_cmd_diff)


def _cmd_diff(args: argparse.Namespace) -> int:
    from conformance.replay import DiffError, diff, render_diff_markdown, render_diff_terminal
    from conformance.report.jsonio import ReportError, write_report, write_text

    check_outputs(args.report_json, args.markdown)
    try:
        report = diff(args.old, args.new)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    try:
        if args.report_json:
            write_report(report, args.report_json)
        if args.markdown:
            write_text(args.markdown, render_diff_markdown(report))
    except ReportError as exc:
        return die(str(exc), EXIT_USAGE)
    text = render_diff_terminal(report)
    sys.stdout.write(text.splitlines()[-1] + "\n" if args.quiet else text)
    return EXIT_FAILED if report["touches_rules"] else EXIT_OK
