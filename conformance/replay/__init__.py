"""Vendor change validation: replay a recording against any target, and compare two recordings.

``replay(cassettes, base_url, world=...)`` sends the recorded requests to a target in their order and
compares every answer with the recorded one, rule by rule (a report shaped like ``run_suite``'s);
``diff(old, new)`` lists every behavioural difference between two recordings of the same scenario,
or two JSON reports of ``run``, grouped by the rule they touch.
"""

from conformance.replay._compare import Difference
from conformance.replay._diff import DiffError, diff, render_diff_markdown, render_diff_terminal
from conformance.replay._engine import ReplaySettings, replay

__all__ = ["DiffError", "Difference", "ReplaySettings", "diff", "render_diff_markdown", "render_diff_terminal",
           "replay"]
