"""Reading, writing and checking report files (the shape of docs/simulator-contract.md#the-json-report)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.report.common import OUTCOMES
from conformance.spec.client_rules import CLIENT_RULES
from conformance.spec.rules import RULES

__all__ = ["ReportError", "check_writable", "dumps", "load_report", "validate_report", "write_report",
           "write_text"]


class ReportError(ValueError):
    """A report file that cannot be written or read; the message is one line."""


def dumps(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def check_writable(path: str | Path) -> None:
    """Fail *before* a run (exit 2) when a report could not be written after it.

    Checked with os.access rather than by creating the file, so that a run that ends with exit 3
    does not leave an empty report behind for CI to pick up.
    """
    p = Path(path)
    if p.is_dir():
        raise ReportError(f"cannot write report {str(p)!r}: it is a directory")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ReportError(f"cannot write report {str(p)!r}: directory {str(parent)!r} does not exist")
    if p.exists() and not os.access(p, os.W_OK):
        raise ReportError(f"cannot write report {str(p)!r}: permission denied")
    if not p.exists() and not os.access(parent, os.W_OK | os.X_OK):
        raise ReportError(f"cannot write report {str(p)!r}: directory {str(parent)!r} is not writable")


def write_text(path: str | Path, text: str) -> None:
    """Write via a temporary file and rename, so that a reader never sees half a report."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"cannot write report {str(p)!r}: {exc.strerror or exc}") from None


def write_report(report: Mapping[str, Any], path: str | Path) -> None:
    write_text(path, dumps(report))


def load_report(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read report {str(path)!r}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ReportError(f"report {str(path)!r} is not JSON: {exc}") from None
    problems = validate_report(data)
    if problems:
        raise ReportError(f"report {str(path)!r} is not a conformance report: {problems[0]}")
    assert isinstance(data, dict)
    return data


def validate_report(report: object) -> list[str]:
    """What every report promises (docs/simulator-contract.md#the-json-report), as a list of what is
    wrong (empty: fine)."""
    if not isinstance(report, dict):
        return ["the report is not a JSON object"]
    problems = [f"missing {key!r}" for key in ("conformant", "target", "control_plane", "rules")
                if key not in report]
    rules = report.get("rules")
    if not isinstance(rules, dict):
        return [*problems, "'rules' is not an object"]
    catalogue = CLIENT_RULES if report.get("kind") == "client" else RULES
    for rule_id, r in catalogue.items():
        entry = rules.get(rule_id)
        if not isinstance(entry, dict):
            problems.append(f"rule {rule_id} is missing")
            continue
        if entry.get("outcome") not in OUTCOMES:
            problems.append(f"rule {rule_id}: outcome {entry.get('outcome')!r} is not one of {', '.join(OUTCOMES)}")
        if not isinstance(entry.get("details"), list):
            problems.append(f"rule {rule_id}: details is not a list")
        if r.has_branches and "branch" not in entry:
            problems.append(f"rule {rule_id}: has allowed branches but no 'branch'")
    return problems
