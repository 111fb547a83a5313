"""The catalogue of BEHAVIOR.md rules, as data.

Every check names rule IDs from here, every report lists every rule from here, and the test
suite asserts that this table and ``shared/BEHAVIOR.md`` agree, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FAMILIES", "RULES", "Level", "Rule", "rule", "rules_in"]


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    INFO = "INFO"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: Level
    title: str
    #: Rules whose text allows several behaviours; the report names the one the target chose.
    has_branches: bool = False
    #: A MUST rule with a SHOULD part (WIRE-04, PUT-05): a failure of that part only warns.
    has_should_part: bool = False
    #: Needs the control plane's clock; skipped (with the reason) against targets without one.
    needs_clock: bool = False

    @property
    def family(self) -> str:
        return self.id.split("-", 1)[0]


_M, _S, _I = Level.MUST, Level.SHOULD, Level.INFO

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("WIRE-01", _M, "Every response is JSON with Content-Type application/json"),
        Rule("WIRE-02", _M, "No 5xx for any request, however malformed"),
        Rule("WIRE-03", _M, "Bodies labelled application/json (with or without charset) and */* are accepted"),
        Rule("WIRE-04", _M, "Unknown request headers are ignored (SHOULD: unknown body fields too)",
             has_should_part=True),
        Rule("WIRE-05", _M, "A body that is not JSON, or not a JSON object, gets a 400 error response"),
        Rule("AUTH-01", _M, "Missing or non-Bearer Authorization: 401 error response, no effect"),
        Rule("AUTH-02", _M, "Unknown bearer token: 401 error response, no effect"),
        Rule("AUTH-03", _M, "Missing or unknown VZ-M2M-Token: 400 or 401 error response, no effect",
             has_branches=True),
        Rule("AUTH-04", _M, "Credentials of account A never reach account B's data"),
        Rule("POST-01", _M, "A valid schedule request gets 200 and a faithful RequestPending FirmwareUpgrade"),
        Rule("POST-02", _M, "Every accepted request gets a new id"),
        Rule("POST-03", _M, "A structurally invalid schedule request gets a 400 error response, no effect"),
        Rule("POST-04", _M, "A semantically invalid request is refused at once or fails before it starts",
             has_branches=True),
        Rule("POST-05", _I, "The spelling devicelist is accepted as an alias or refused with 400",
             has_branches=True),
        Rule("PUT-01", _M, "append of valid devices to an open campaign adds them"),
        Rule("PUT-02", _M, "remove of campaign devices from an open campaign removes them"),
        Rule("PUT-03", _M, "A per-device problem is a whole-request 400 or a failed item, never a false success",
             has_branches=True),
        Rule("PUT-04", _M, "append/remove on a started or terminal campaign: 400 error response, no effect",
             needs_clock=True),
        Rule("PUT-05", _M, "An unknown or foreign upgradeId: 4xx error response (SHOULD be 400), no effect",
             has_branches=True, has_should_part=True),
        Rule("PUT-06", _M, "A structurally invalid PUT body: 400 error response, no effect"),
        Rule("PUT-07", _S, "PUT result items carry the reason under Reason (capital R)"),
        Rule("LIFE-01", _M, "Every campaign status is one of the six documented statuses"),
        Rule("LIFE-02", _M, "Status changes follow the documented edges; terminal states never change",
             needs_clock=True),
        Rule("LIFE-03", _M, "A campaign never starts before the clock reaches startDate", needs_clock=True),
        Rule("LIFE-04", _M, "GET returns what was given at creation and reflects every append and remove"),
        Rule("LIFE-05", _S, "A campaign is terminal once the clock is past its endDate (or startDate + 7 days)",
             needs_clock=True),
        Rule("LIFE-06", _M, "DELETE cancels an open campaign for good; refused on started or terminal ones",
             has_branches=True),
        Rule("SIM-01", _M, "PUT /__control/world replaces all state", needs_clock=True),
        Rule("SIM-02", _M, "PUT /__control/clock only moves forward and applies every due transition",
             needs_clock=True),
        Rule("SIM-03", _M, "Same world and same requests give the same statuses", needs_clock=True),
        Rule("SIM-04", _M, "Lifecycle timing under the control plane follows CONTRACT.md", needs_clock=True),
    )
}


def rule(rule_id: str) -> Rule:
    """The rule with this ID; a KeyError names the unknown ID (a typo in a check is a bug)."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}") from None


#: The rule families in catalogue order: the order reports group them in.
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(r.family for r in RULES.values()))


def rules_in(family: str) -> list[Rule]:
    return [r for r in RULES.values() if r.family == family]
