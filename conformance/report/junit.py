"""JUnit XML: one testcase per rule, so that CI dashboards track every rule over time.

failed → <failure>; warned → a passing testcase with a WARNING in <system-out> and an ``outcome``
property (JUnit has no "warning" state, and a SHOULD must not turn a CI run red); skipped →
<skipped message=reason>.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from conformance.report.common import (
    by_family,
    counts,
    doc,
    finding_lines,
    level,
    notes,
    notices,
    partly,
    reason,
    title,
)

__all__ = ["render_junit"]

# Characters XML 1.0 cannot carry at all; a target's response body may contain any of them, and
# ElementTree would write them out verbatim and produce a file no CI can parse.
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: object) -> str:
    return _INVALID_XML.sub("\ufffd", str(text))


def _body(entry: Mapping[str, Any], seed: object) -> str:
    findings = entry.get("findings") or []
    if findings:
        return "\n\n".join("\n".join(finding_lines(f, seed)) for f in findings)
    return "\n".join(str(d) for d in entry.get("details", []))


def render_junit(report: Mapping[str, Any], *, suite_name: str = "fota-conformance") -> str:
    c = counts(report)
    total = sum(c.values())
    duration = f"{float(report.get('duration_s', 0.0)):.3f}"
    root = ET.Element("testsuites", name=suite_name, tests=str(total), failures=str(c["failed"]),
                      errors="0", skipped=str(c["skipped"]), time=duration)
    suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(total), failures=str(c["failed"]),
                          errors="0", skipped=str(c["skipped"]), time=duration,
                          timestamp=_clean(report.get("generated_at", "")))
    props = ET.SubElement(suite, "properties")
    for key in ("target", "control_plane", "conformant", "seed", "depth", "requests", "suite_version"):
        if key in report:
            value = report[key]
            text = str(value).lower() if isinstance(value, bool) else str(value)
            ET.SubElement(props, "property", name=key, value=_clean(text))
    cov: Mapping[str, Any] = report["coverage"] if isinstance(report.get("coverage"), Mapping) else {}
    if cov.get("line"):
        ET.SubElement(props, "property", name="coverage", value=_clean(cov["line"]))
    for notice in notices(report):
        ET.SubElement(props, "property", name="notice", value=_clean(notice))
    gate: Mapping[str, Any] = report["gate"] if isinstance(report.get("gate"), Mapping) else {}
    gated = set(gate.get("untested") or []) if not gate.get("passed", True) else set()
    seed = report.get("seed")
    # A check may serve several rules: its time is shared out evenly, so that the testcase times
    # add up to the run's time instead of counting a slow check once per rule it names.
    rule_time: dict[str, float] = {}
    for check in report.get("checks") or []:
        named = list(check.get("rules") or [])
        for rid in named:
            rule_time[rid] = rule_time.get(rid, 0.0) + float(check.get("duration_s", 0.0)) / len(named)
    for family, entries in by_family(report):
        for rule_id, entry in entries:
            outcome = str(entry.get("outcome"))
            case = ET.SubElement(suite, "testcase", classname=f"fota.{family}", name=rule_id,
                                 time=f"{rule_time.get(rule_id, 0.0):.3f}")
            case_props = ET.SubElement(case, "properties")
            ET.SubElement(case_props, "property", name="title", value=_clean(title(rule_id, entry)))
            ET.SubElement(case_props, "property", name="level", value=level(rule_id, entry))
            ET.SubElement(case_props, "property", name="outcome", value=_clean(outcome))
            ET.SubElement(case_props, "property", name="doc", value=_clean(doc(rule_id, entry)))
            if entry.get("branch"):
                ET.SubElement(case_props, "property", name="branch", value=_clean(entry["branch"]))
            if outcome == "failed":
                details = [str(d) for d in entry.get("details", [])]
                failure = ET.SubElement(case, "failure", type=level(rule_id, entry),
                                        message=_clean(details[0] if details else "failed"))
                failure.text = _clean(f"rule: {doc(rule_id, entry)}\n\n{_body(entry, seed)}")
            elif outcome == "warned":
                out = ET.SubElement(case, "system-out")
                out.text = _clean(f"WARNING (SHOULD), rule: {doc(rule_id, entry)}\n\n{_body(entry, seed)}")
            elif outcome == "skipped" and rule_id in gated:
                failure = ET.SubElement(case, "failure", type="NOT TESTED",
                                        message=_clean(f"not tested (--require-tested): {reason(entry)}"))
                failure.text = _clean(reason(entry))
            elif outcome == "skipped":
                ET.SubElement(case, "skipped", message=_clean(reason(entry)))
            gaps = partly(entry)
            said = [f"note: {n}" for n in notes(entry)]
            if gaps and outcome != "skipped":
                ET.SubElement(case_props, "property", name="tested_in_part", value="true")
                said.insert(0, "tested in part; not tested: " + "; ".join(gaps))
            if said:
                out = ET.SubElement(case, "system-out")
                out.text = _clean("\n".join(said))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
