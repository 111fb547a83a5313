"""What the checks find, collected per rule, and turned into the report's verdicts.

A check never decides an outcome itself: it says what it exercised, what failed, which allowed
branch the target took, or why it could not test something. ``Results.verdicts()`` derives the
outcome of every rule from that (failed > warned > passed > skipped), so no rule can be "passed"
without a check having really exercised it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from conformance.spec.rules import RULES, Level, Rule, doc_ref
from conformance.suite.http import Exchange, mask

__all__ = ["REPORT_VERSION", "Finding", "Outcome", "Results", "RuleVerdict", "mask_all", "rule_entries",
           "summary"]

#: The version of the JSON report's shape: one for the run report and the cassette report alike.
REPORT_VERSION = 1


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNED = "warned"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Finding:
    """One expectation the target did not meet."""

    rule: str
    severity: str  # "MUST" or "SHOULD"
    check: str
    title: str
    expected: str
    actual: str
    #: curl lines (tokens masked), in the order sent; the last one is the request that failed.
    reproduction: tuple[str, ...] = ()
    seed: int | None = None
    #: Client rules: what the vendor's API does (or may do) with the offending request.
    vendor: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reproduction"] = list(self.reproduction)
        if self.vendor is None:
            del data["vendor"]
        return data

    def detail(self) -> str:
        """The one-line form used in a report's ``details`` list."""
        return f"{self.title}: expected {self.expected}; got {self.actual}"


@dataclass(slots=True)
class RuleVerdict:
    rule: str
    outcome: Outcome
    details: list[str] = field(default_factory=list)
    branch: str | None = None
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


class Results:
    """Thread-safe collector; checks call it through their ``Ctx``.

    ``catalogue`` is the rule table judged (default: the server rules; the client judge passes the
    CLIENT rules), so that both kinds of report derive their outcomes the same way.
    """

    NOTHING_EXERCISED = "no check exercised this rule in this run"

    def __init__(self, *, secrets: Iterable[str] = (), seed: int | None = None,
                 catalogue: Mapping[str, Rule] | None = None) -> None:
        self.catalogue: Mapping[str, Rule] = RULES if catalogue is None else catalogue
        self._lock = threading.Lock()
        self._secrets = set(secrets)
        self.seed = seed
        self._exercised: dict[str, list[str]] = {}
        self._findings: list[Finding] = []
        self._branches: dict[str, list[str]] = {}
        self._skips: dict[str, list[str]] = {}
        self._notes: dict[str, list[str]] = {}

    def add_secrets(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if s)

    def rule(self, rule_id: str) -> Rule:
        """The rule with this ID; a KeyError names an unknown ID (a typo in a check is a bug)."""
        try:
            return self.catalogue[rule_id]
        except KeyError:
            raise KeyError(f"unknown rule id {rule_id!r}") from None

    def exercised(self, rule_id: str, check: str) -> None:
        self.rule(rule_id)
        with self._lock:
            checks = self._exercised.setdefault(rule_id, [])
            if check not in checks:
                checks.append(check)

    def fail(self, rule_id: str, check: str, title: str, *, expected: str, actual: str,
             exchanges: Iterable[Exchange] = (), severity: Level | None = None,
             vendor: str | None = None) -> Finding:
        """Record a failed expectation. ``severity`` defaults to the rule's level; pass
        ``Level.SHOULD`` for the SHOULD part of a MUST rule (WIRE-04 body fields, PUT-05's 400)."""
        r = self.rule(rule_id)
        if r.level is Level.INFO:
            raise ValueError(f"{rule_id} is INFO: it records branches, never failures")
        level = severity or r.level
        with self._lock:
            secrets = set(self._secrets)
        finding = Finding(rule=rule_id, severity=str(level), check=check, title=mask(title, secrets),
                          expected=mask(expected, secrets), actual=mask(actual, secrets),
                          reproduction=tuple(e.curl(secrets) for e in exchanges), seed=self.seed,
                          vendor=mask(vendor, secrets) if vendor is not None else None)
        self.exercised(rule_id, check)
        with self._lock:
            self._findings.append(finding)
        return finding

    def branch(self, rule_id: str, name: str) -> None:
        """Which allowed behaviour the target chose (recorded once per distinct name)."""
        r = self.rule(rule_id)
        if not r.has_branches:
            raise ValueError(f"{rule_id} has no allowed branches")
        with self._lock:
            names = self._branches.setdefault(rule_id, [])
            if name not in names:
                names.append(name)

    def skip(self, rule_id: str, reason: str) -> None:
        self.rule(rule_id)
        with self._lock:
            reason = mask(reason, self._secrets)
            reasons = self._skips.setdefault(rule_id, [])
            if reason not in reasons:
                reasons.append(reason)

    def note(self, rule_id: str, text: str) -> None:
        """An INFO detail for the report (never changes an outcome)."""
        self.rule(rule_id)
        with self._lock:
            text = mask(text, self._secrets)
            notes = self._notes.setdefault(rule_id, [])
            if text not in notes:
                notes.append(text)

    @property
    def findings(self) -> list[Finding]:
        with self._lock:
            return list(self._findings)

    def verdicts(self) -> dict[str, RuleVerdict]:
        """One verdict per rule of the catalogue, in its order."""
        with self._lock:
            out: dict[str, RuleVerdict] = {}
            for rule_id in self.catalogue:
                findings = [f for f in self._findings if f.rule == rule_id]
                checks = list(self._exercised.get(rule_id, []))
                branches = self._branches.get(rule_id, [])
                if any(f.severity == Level.MUST for f in findings):
                    outcome = Outcome.FAILED
                elif findings:
                    outcome = Outcome.WARNED
                elif checks or branches:
                    outcome = Outcome.PASSED
                else:
                    outcome = Outcome.SKIPPED
                details = [f.detail() for f in findings]
                if outcome is Outcome.SKIPPED:
                    details += self._skips.get(rule_id) or [self.NOTHING_EXERCISED]
                else:
                    # A rule exercised by one check while another could not run is not fully
                    # tested: say so, so that "passed" never hides a skipped check.
                    details += [f"partly untested: {r}" for r in self._skips.get(rule_id, [])]
                details += self._notes.get(rule_id, [])
                out[rule_id] = RuleVerdict(rule=rule_id, outcome=outcome, details=details,
                                           branch=" + ".join(branches) if branches else None,
                                           findings=findings, checks=checks)
            return out


def rule_entries(verdicts: Mapping[str, RuleVerdict],
                 catalogue: Mapping[str, Rule] = RULES) -> dict[str, dict[str, Any]]:
    """The report's ``rules`` object: one entry per rule, the same shape for a live run, a judged
    recording and the client gate (``catalogue``: the CLIENT rules) (``branch`` present for every
    rule that has allowed branches)."""
    out: dict[str, dict[str, Any]] = {}
    for rule_id, v in verdicts.items():
        r = catalogue[rule_id]
        entry: dict[str, Any] = {"outcome": str(v.outcome), "details": v.details, "level": str(r.level),
                                 "title": r.title, "family": r.family, "checks": v.checks, "doc": doc_ref(rule_id),
                                 "findings": [f.to_json() for f in v.findings]}
        if v.branch is not None or r.has_branches:
            entry["branch"] = v.branch
        out[rule_id] = entry
    return out


def summary(verdicts: Mapping[str, RuleVerdict]) -> dict[str, int]:
    """How many rules came out each way: the report's ``summary``."""
    return {o.value: sum(1 for v in verdicts.values() if v.outcome is o) for o in Outcome}


def mask_all(value: Any, secrets: set[str]) -> Any:
    """Every string in a report (keys included) with the secrets masked: no report may ever carry a
    token (docs/simulator-contract.md#safety), whatever path a text took into it."""
    if isinstance(value, str):
        return mask(value, secrets)
    if isinstance(value, dict):
        return {mask_all(k, secrets): mask_all(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_all(v, secrets) for v in value]
    return value
