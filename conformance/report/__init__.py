"""Renderers of the JSON report: they only *read* the report dict that ``run_suite`` returns (or a
report file written earlier), never checks or exchanges, so a report can be re-rendered later.
"""

from conformance.report.jsonio import ReportError, load_report, validate_report, write_report
from conformance.report.junit import render_junit
from conformance.report.markdown import render_markdown
from conformance.report.terminal import render_terminal

__all__ = [
    "ReportError",
    "load_report",
    "render_junit",
    "render_markdown",
    "render_terminal",
    "validate_report",
    "write_report",
]
