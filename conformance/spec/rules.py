"""The behaviour rules, as data: the one place where each rule's level, text, evidence and allowed
branches are written down.

Every check names rule IDs from here, every report lists every rule from here, and
``docs/rules.md`` is generated from this table (``fota-conformance rules --format markdown``; a test
keeps the committed file equal to the generated one), so the code and its documentation cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FAMILIES", "FAMILY_TEXT", "LEVELS", "RULES", "TERMS", "Level", "Rule", "doc_ref", "rule", "rules_in"]


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    INFO = "INFO"


#: What each level means for a verdict (docs/rules.md and ``fota-conformance rules`` print these).
LEVELS: dict[Level, str] = {
    Level.MUST: "a violation makes the target non-conformant (exit code 1).",
    Level.SHOULD: "a violation is a warning: reported, but the target still conforms.",
    Level.INFO: "never fails; the suite reports which of several allowed behaviours the target chose. "
                "MUST rules whose text allows several behaviours report their branch the same way.",
}

#: The words the rules use with a fixed meaning: (term, meaning).
TERMS: tuple[tuple[str, str], ...] = (
    ("error response",
     "a 4xx status with `Content-Type: application/json` and a body "
     '`{"errorCode": <non-empty string>, "errorMessage": <non-empty string>}` (extra keys allowed). '
     "For 401 only, the API gateway's body "
     '`{"fault": {"code": ..., "message": ..., "description": ...}}` is also allowed: that is what '
     "the vendor's gateway sends for bad bearer tokens."),
    ("no effect",
     "nothing observable changes: no upgrade is created, no device list changes, no status changes "
     "(observed through GET, later PUT outcomes, or the upgrade ids a run has seen)."),
    ("valid schedule request",
     "credentials that cover the account; a firmware known to that account; one or more distinct IMEIs "
     "of that account, all of the firmware's make and model and at its `fromVersion`; `startDate` a "
     "`YYYY-MM-DD` date not before today (by the target's clock); `endDate`, if present, not before "
     "`startDate`; `firmwareTo`, if present, equal to the firmware's `toVersion`."),
    ("open, started, terminal",
     "a campaign is **open** while its status is `RequestPending` or `Queued`; **started** once it is "
     "`InProgress` or later; **terminal** when it is `Finished`, `RequestFailed`, `UpgradeFailed`, or "
     "cancelled (LIFE-06)."),
    ("a startDate before today",
     "neither valid nor listed as invalid: an implementation may refuse it (400) or accept it. The "
     "suite notes which (under POST-03) and never fails a target for either."),
)

#: What each rule family is about, for docs/rules.md: (title, what the family covers).
FAMILY_TEXT: dict[str, tuple[str, str]] = {
    "WIRE": ("transport", "How every request and answer of the four operations travels."),
    "AUTH": ("credentials and account isolation",
             "The two credentials every operation needs (`Authorization: Bearer <token>` and "
             "`VZ-M2M-Token`), and the wall between accounts."),
    "POST": ("schedule an upgrade", "`POST /upgrades`."),
    "PUT": ("add or remove devices", "`PUT /upgrades/{account}/upgrade/{upgradeId}`."),
    "LIFE": ("campaign lifecycle", "Observed through GET, PUT outcomes and the control plane's clock."),
    "SIM": ("simulators with the control plane",
            "Only for targets that offer the control plane of "
            "[simulator-contract.md](simulator-contract.md#the-control-plane)."),
}


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
    #: The full rule, in Markdown: what a conforming implementation does.
    text: str = ""
    #: What the suite sends and looks at to judge the rule (Markdown).
    evidence: str = ""
    #: The allowed behaviours, as (the name the report's ``branch`` uses, what it means).
    branches: tuple[tuple[str, str], ...] = ()

    @property
    def family(self) -> str:
        return self.id.split("-", 1)[0]


def doc_ref(rule_id: str) -> str:
    """Where a rule is explained: ``docs/rules.md#put-04`` (one section per rule, anchored by its ID)."""
    return f"docs/rules.md#{rule_id.lower()}"


_M, _S, _I = Level.MUST, Level.SHOULD, Level.INFO
_NO_CONTROL = " Needs the control plane's clock: skipped, with the reason, against targets without one."

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        # --- WIRE ---------------------------------------------------------------------------------
        Rule("WIRE-01", _M, "Every response is JSON with Content-Type application/json",
             text="Every response of an API operation is JSON with `Content-Type: application/json` "
                  "(a charset parameter is fine).",
             evidence="Every answer any check receives from the four operations — successes, refusals, "
                      "answers to malformed input — must be labelled `application/json` (parameters "
                      "allowed) and parse as JSON; a 4xx must also be an error response (see Terms), or the "
                      "finding names the shape it broke. One check provokes a success and an error answer of "
                      "each operation on purpose; the schema exploration adds generated requests. The "
                      "control plane's answers are not API operations and are not judged here."),
        Rule("WIRE-02", _M, "No 5xx for any request, however malformed",
             text="No 5xx for any request, however malformed: bad JSON, wrong types, huge or odd "
                  "strings, unknown fields, wrong content type, empty body.",
             evidence="A battery of malformed requests on all four operations — truncated JSON, wrong "
                      "types, 200 000-character strings, NUL and non-UTF-8 bytes, JSON nested 5 000 "
                      "deep, XML, form and text bodies, no or a garbled `Content-Type`, odd path "
                      "parameters, a GET with a body — and every answer any other check receives. A 5xx, "
                      "or a connection dropped after a request, fails the rule."),
        Rule("WIRE-03", _M, "Bodies labelled application/json (with or without charset) and */* are accepted",
             text="Request bodies are accepted when labelled `application/json` (with or without "
                  "charset) and when labelled `*/*` — the vendor's own Python SDK sends `*/*` on PUT.",
             evidence="A valid POST labelled `*/*` (with a control plane also one labelled "
                      "`application/json; charset=utf-8`) must create an upgrade; valid appends labelled "
                      "`*/*`, `application/json; charset=utf-8` and `application/json;charset=UTF-8` must "
                      "answer 200 with `AddDeviceSucceed`."),
        Rule("WIRE-04", _M, "Unknown request headers are ignored (SHOULD: unknown body fields too)",
             has_should_part=True,
             text="Unknown request headers are ignored (the vendor's v4 SDK sends `Idempotency-Key`, "
                  "`User-Agent`, `X-APIMatic-*`). Unknown body fields **SHOULD** be ignored.",
             evidence="Valid POST, PUT, GET and (with a control plane) DELETE requests carrying the SDK's "
                      "extra headers and an `X-Unknown-Header` must succeed (MUST). A valid append (and, "
                      "with a control plane, a valid POST) with unknown body fields must succeed too; a "
                      "refusal there is a warning (the SHOULD part)."),
        Rule("WIRE-05", _M, "A body that is not JSON, or not a JSON object, gets a 400 error response",
             text="A body that is not JSON, or not a JSON object, gets an error response (400).",
             evidence="POST and PUT with text, truncated JSON, an empty body, and JSON that is an array, a "
                      "string, a number, `null` or `true`: each must be a 400 error response; no upgrade "
                      "id is issued and the campaign's device list is unchanged afterwards."),
        # --- AUTH ---------------------------------------------------------------------------------
        Rule("AUTH-01", _M, "Missing or non-Bearer Authorization: 401 error response, no effect",
             text="No `Authorization` header, or one that is not `Bearer <token>`: 401 error response, "
                  "no effect.",
             evidence="With a valid `VZ-M2M-Token`: no `Authorization` header, `Basic …`, the token "
                      "without a scheme, `Token <token>`, and `Bearer` with no token — each on GET, PUT, "
                      "POST and DELETE (last) of requests that would succeed with the right credentials, "
                      "and each on POST and PUT with a body no one accepts (`{}`, and one that is not "
                      "JSON): credentials come first, as at the vendor's gateway, which answers a missing "
                      "bearer token with 401 before the service reads the body. "
                      "Each must be a 401 error response carrying no campaign data and no upgrade id; "
                      "afterwards the owner sees the campaign unchanged and still open."),
        Rule("AUTH-02", _M, "Unknown bearer token: 401 error response, no effect",
             text="An unknown bearer token: 401 error response, no effect.",
             evidence="With a valid `VZ-M2M-Token`: an unknown bearer token, the M2M token used as the "
                      "bearer token, and the right token with one character more — each on GET, PUT, "
                      "POST and DELETE, and on POST and PUT also with a body no one accepts (credentials "
                      "come first, see AUTH-01). Each must be a 401 error response with nothing of the campaign in "
                      "it; afterwards the campaign is unchanged and still open."),
        Rule("AUTH-03", _M, "Missing or unknown VZ-M2M-Token: 400 or 401 error response, no effect",
             has_branches=True,
             text="No `VZ-M2M-Token`, or an unknown one: 400 or 401 error response, no effect.",
             evidence="With a valid bearer token: no `VZ-M2M-Token`, an unknown one, and an empty one — "
                      "each on GET, PUT, POST and DELETE. Each must be a 400 or 401 error response with "
                      "nothing of the campaign in it; afterwards the campaign is unchanged and still open.",
             branches=(("refused with 400", "the target answers a 400 error response"),
                       ("refused with 401", "the target answers a 401 error response (the gateway's "
                                            "`fault` body is allowed for 401)"))),
        Rule("AUTH-04", _M, "Credentials of account A never reach account B's data",
             text="Credentials valid for account A, used on account B (a POST body with `accountName` B; "
                  "a path with account B; a path with account A and an upgrade of B): 4xx error "
                  "response, no effect, and nothing of B's data in the body.",
             evidence="With A's credentials: a POST naming B's account (with B's own firmware and "
                      "devices, so that only the account check can refuse it); GET, append, remove and "
                      "DELETE of B's upgrade under B's account and under A's own account. Each must be a "
                      "4xx error response showing none of B's upgrade id, devices or campaign fields, and "
                      "B's campaign must be unchanged and still open afterwards. Needs a world with a "
                      "second credential covering another account, which has firmware and devices "
                      "(skipped otherwise)."),
        # --- POST ---------------------------------------------------------------------------------
        Rule("POST-01", _M, "A valid schedule request gets 200 and a faithful RequestPending FirmwareUpgrade",
             text="A valid schedule request — with or without the optional `endDate` and `firmwareTo`, "
                  "which the vendor's SDKs always send — gets 200 and a FirmwareUpgrade: `id` a UUID "
                  "string; `accountName`, `firmwareName`, `startDate` equal to the request's; "
                  "`firmwareTo` the firmware's `toVersion`; `status` `RequestPending`; `deviceList` "
                  "exactly the requested IMEIs, one item each, each with `status` `RequestPending`.",
             evidence="Two valid requests, one as the SDKs send it (with `endDate` and `firmwareTo`) and "
                      "one minimal, each judged field by field as the text says. The schema exploration "
                      "adds generated valid requests, whose answers must match `openapi.yaml`."),
        Rule("POST-02", _M, "Every accepted request gets a new id",
             text="Every accepted request gets a new `id`, never used before.",
             evidence="Every upgrade id any check receives from an accepted POST is compared with all "
                      "earlier ones of the run. With a control plane the same request is also sent twice: "
                      "an id derived from the request would repeat."),
        Rule("POST-03", _M, "A structurally invalid schedule request gets a 400 error response, no effect",
             text="A structurally invalid request gets a 400 error response and no effect: a missing "
                  "`accountName`, `firmwareName`, `startDate` or `deviceList`; a wrong JSON type "
                  "anywhere; an empty `deviceList`; a `startDate`/`endDate` that is not a `YYYY-MM-DD` "
                  "date.",
             evidence="Each required field left out; numbers, lists, booleans, objects and `null` where "
                      "strings or lists belong; an empty `deviceList`; dates with slashes, day first, "
                      "with a time, month 13, empty, or in words. Each must be a 400 error response "
                      "without an upgrade id. A body spelling `devicelist` that is accepted without those "
                      "devices also fails here (see POST-05). With a control plane, a `startDate` of "
                      "yesterday is sent too and the answer is only noted (see Terms)."),
        Rule("POST-04", _M, "A semantically invalid request is refused at once or fails before it starts",
             has_branches=True,
             text="A semantically invalid request (unknown firmware, unknown or malformed IMEI, devices "
                  "of another make/model or firmware version, duplicate IMEIs, `endDate` before "
                  "`startDate`, mismatching `firmwareTo`) is either refused at once (400 error response, "
                  "no effect) or accepted as `RequestPending` and then moves to `RequestFailed` before "
                  "it could start. It never becomes `Queued` or `InProgress` with the offending devices.",
             evidence="Always: an unknown IMEI and an `endDate` before `startDate`. With a control plane "
                      "also: a malformed IMEI, an unknown firmware, a mismatching `firmwareTo`, duplicate "
                      "IMEIs, a device of another model and one at another version. An accepted one is "
                      "followed: with a control plane the clock moves a minute, then past `startDate`; "
                      "without one it is polled for `--poll-total` seconds (still `RequestPending` then "
                      "is reported undecided, not failed). It must end `RequestFailed`, or start without "
                      "the offending devices.",
             branches=(("refused at once", "400 error response, no effect"),
                       ("accepted, then RequestFailed", "200 `RequestPending`, then `RequestFailed` before "
                                                        "it could start"))),
        Rule("POST-05", _I, "The spelling devicelist is accepted as an alias or refused with 400",
             has_branches=True,
             text="Whether the spelling `devicelist` of the vendor's own examples is accepted as an alias "
                  "of `deviceList`, or refused with 400. Either conforms; silently ignoring it (creating "
                  "a campaign without those devices) breaks POST-03.",
             evidence="A valid request whose list is spelled `devicelist`. A 200 must list exactly those "
                      "devices; anything but that or a 400 error response fails POST-03.",
             branches=(("alias accepted", "200, and the campaign has exactly the devices of `devicelist`"),
                       ("refused with 400", "a 400 error response"))),
        # --- PUT ----------------------------------------------------------------------------------
        Rule("PUT-01", _M, "append of valid devices to an open campaign adds them",
             text="`append` of valid devices (right make, model and version, not yet in the campaign) "
                  "to an open campaign: 200 with `id` the upgrade id, `accountName` the path account, "
                  "`deviceList` one item per requested IMEI with `status` `AddDeviceSucceed`; from then "
                  "on the campaign includes them.",
             evidence="An append of two fitting devices, judged as the text says, then GET must list "
                      "them. With a control plane also 16 single-device appends to one campaign at once: "
                      "every one must succeed and be listed — a lost update fails. The schema exploration "
                      "and the stateful model add generated appends."),
        Rule("PUT-02", _M, "remove of campaign devices from an open campaign removes them",
             text="`remove` of devices in an open campaign: 200, one item per IMEI with a success status "
                  "(`RemoveDeviceSucceed`); from then on the campaign no longer includes them.",
             evidence="A remove of one device of an open campaign: 200 with the upgrade id, the path "
                      "account and `RemoveDeviceSucceed` for it; GET must no longer list it. The stateful "
                      "model adds generated removes."),
        Rule("PUT-03", _M, "A per-device problem is a whole-request 400 or a failed item, never a false success",
             has_branches=True,
             text="A per-device problem (already in / not in the campaign, unknown IMEI, wrong model or "
                  "version) is either a 400 error response for the whole request with no effect, or 200 "
                  "with that device's item marked failed (a status other than `AddDeviceSucceed`/"
                  "`RemoveDeviceSucceed`, e.g. `AddDeviceFailed`, and a `Reason`) and no effect for that "
                  "device. A success status is never reported for a device that was not actually added "
                  "or removed.",
             evidence="Appending a device already in the campaign, removing one not in it, appending an "
                      "unknown IMEI, a device of another model and one at another version (where the "
                      "world has them), and, with a control plane, a good device together with an unknown "
                      "one. After each, GET must show exactly what the answer claims: nothing changed "
                      "after a 400; after a 200, the bad device's item failed with a reason and the device "
                      "list changed only for items reported as successes.",
             branches=(("whole request refused with 400", "a 400 error response, the campaign unchanged"),
                       ("failed item in a 200", "200; the device's item has a failure status and a reason, "
                                                "and only the devices reported as successes changed"))),
        Rule("PUT-04", _M, "append/remove on a started or terminal campaign: 400 error response, no effect",
             needs_clock=True,
             text="Any `append`/`remove` on a started or terminal campaign: 400 error response, no effect.",
             evidence="Campaigns are driven with the clock to `InProgress`, `Finished` and (all devices "
                      "unreachable) `UpgradeFailed`; an append and a remove on each must be a 400 error "
                      "response, and the device list must not change. The stateful model tries more "
                      "sequences." + _NO_CONTROL),
        Rule("PUT-05", _M, "An unknown or foreign upgradeId: 4xx error response (SHOULD be 400), no effect",
             has_branches=True, has_should_part=True,
             text="An `upgradeId` never issued (a well-formed UUID), or issued to another account: 4xx "
                  "error response (400 is documented; it **SHOULD** be 400), no effect.",
             evidence="An append and a remove under one's own account with a random UUID, and with the "
                      "upgrade id of another account's campaign (when the world has a second credential). "
                      "Each must be a 4xx error response — a 4xx other than 400 is a warning — and one's "
                      "own campaign must be unchanged.",
             branches=(("400", "the documented status"),
                       ("other 4xx (<status>)", "e.g. 404: conforms, with a warning for the SHOULD part"))),
        Rule("PUT-06", _M, "A structurally invalid PUT body: 400 error response, no effect",
             text="A structurally invalid body (`type` not `append`/`remove`; `deviceList` missing, "
                  "empty, or not an array of strings; not JSON): 400 error response, no effect.",
             evidence="`type` `add`, `APPEND`, empty, missing or a number; `deviceList` missing, empty, a "
                      "string, numbers, `null` items or an object; a form-encoded body. Each must be a 400 "
                      "error response, and the campaign's device list unchanged afterwards. The schema "
                      "exploration adds generated invalid bodies."),
        Rule("PUT-07", _S, "PUT result items carry the reason under Reason (capital R)",
             text="Result items carry the reason under `Reason` (capital R): the vendor SDKs read only "
                  "that key. (GET and POST device items use `resultReason`.)",
             evidence="Every 200 answer to a PUT that any check receives: an item that gives a reason, "
                      "and every failed item, must carry the key `Reason`. One check provokes a success "
                      "and a per-device failure on purpose."),
        # --- LIFE ---------------------------------------------------------------------------------
        Rule("LIFE-01", _M, "Every campaign status is one of the six documented statuses",
             text="Every campaign status is one of `RequestPending`, `Queued`, `InProgress`, `Finished`, "
                  "`RequestFailed`, `UpgradeFailed`.",
             evidence="Every campaign status the suite sees, in any answer of any check (POST, GET after "
                      "every clock move, polling without a control plane)."),
        Rule("LIFE-02", _M, "Status changes follow the documented edges; terminal states never change",
             needs_clock=True,
             text="Status changes follow `RequestPending→Queued`, `RequestPending→RequestFailed`, "
                  "`Queued→InProgress`, `Queued→UpgradeFailed`, `InProgress→Finished`, "
                  "`InProgress→UpgradeFailed`. Between two observations any path of these edges is "
                  "allowed (states may be skipped unseen). Terminal states never change.",
             evidence="Every pair of successive statuses the suite sees of one campaign. With a control "
                      "plane, campaigns (valid, all devices unreachable, semantically invalid) are driven "
                      "over every edge the clock can reach, one move at a time, and watched for 60 days "
                      "after their start; the report's lifecycle diagram shows which edges were seen. "
                      "Without one, a new campaign is polled for `--poll-total` seconds; no change seen "
                      "means skipped."),
        Rule("LIFE-03", _M, "A campaign never starts before the clock reaches startDate", needs_clock=True,
             text="A campaign is never `InProgress` or `Finished` before the target's clock reaches "
                  "`startDate` (00:00:00 UTC).",
             evidence="Campaigns are observed right after they are decided and one second before their "
                      "`startDate`; neither may show `InProgress` or `Finished`." + _NO_CONTROL),
        Rule("LIFE-04", _M, "GET returns what was given at creation and reflects every append and remove",
             text="GET returns the `id`, `accountName`, `firmwareName`, `firmwareTo` and `startDate` given "
                  "at creation, and a `deviceList` that reflects every successful append and remove.",
             evidence="A new campaign's GET is compared with its creation; after a successful append and "
                      "a successful remove its device list must be exactly what those answers said. A "
                      "target with no GET at all gets this rule skipped, with the reason."),
        Rule("LIFE-05", _S, "A campaign is terminal once the clock is past its endDate (or startDate + 7 days)",
             needs_clock=True,
             text="Once the clock is past the end of the `endDate` day (or `startDate` + 7 days without "
                  "one), the campaign is terminal. (The vendor notes that the network may keep trying "
                  "after `endDate`, hence only a SHOULD.)",
             evidence="Campaigns with an `endDate`, without one, and with an unreachable device are "
                      "started, then observed one second after their deadline: each should be terminal."
                      + _NO_CONTROL),
        Rule("LIFE-06", _M, "DELETE cancels an open campaign for good; refused on started or terminal ones",
             has_branches=True,
             text="DELETE of an open campaign: 200 `{\"success\": true}`; afterwards it never starts (GET "
                  "answers a 4xx error response, or a terminal status), and PUT on it is a 4xx error "
                  "response. DELETE of a started or terminal campaign: 400 error response, no effect.",
             evidence="An open campaign (with a control plane, decided to `Queued` first) is cancelled: "
                      "the answer must be 200 `{\"success\": true}`; GET right after (and, with a control "
                      "plane, at and after its `startDate`) must be a 4xx error response or "
                      "`RequestFailed`/`UpgradeFailed`; an append must be a 4xx error response. With a "
                      "control plane, DELETE of `InProgress`, `Finished` and `UpgradeFailed` campaigns "
                      "must be a 400 error response that leaves the status as it was.",
             branches=(("cancelled campaign answers 4xx", "GET of the cancelled campaign is a 4xx error "
                                                          "response"),
                       ("cancelled campaign shows a terminal failed status",
                        "GET shows `RequestFailed` or `UpgradeFailed` from then on"))),
        # --- SIM ----------------------------------------------------------------------------------
        Rule("SIM-01", _M, "PUT /__control/world replaces all state", needs_clock=True,
             text="`PUT /__control/world` replaces all state: the world's accounts, devices, firmware and "
                  "credentials exist, no upgrade exists, the clock is the world's `now`.",
             evidence="An upgrade created before a world load must be gone after it (GET answers 4xx). A "
                      "second world with a later `now` and renamed tokens: the clock must read its `now`, "
                      "the old tokens must be refused and the new ones must work. Any control-plane call "
                      "that fails during any check is also reported here." + _NO_CONTROL),
        Rule("SIM-02", _M, "PUT /__control/clock only moves forward and applies every due transition",
             needs_clock=True,
             text="`PUT /__control/clock` moves time forward only (an earlier time: 400 with an error "
                  "body), and applies every transition due by then before it answers.",
             evidence="An earlier time must be refused with 400 and an error body and leave the clock "
                      "where it was; the current time again must be accepted. After a move to each "
                      "instant of the timing, the status must already be the due one: repeating the move, "
                      "or moving one second further, must not change it." + _NO_CONTROL),
        Rule("SIM-03", _M, "Same world and same requests give the same statuses", needs_clock=True,
             text="Deterministic: the same world and the same requests give the same statuses.",
             evidence="A scripted scenario (two campaigns, six clock moves) is run twice from the same "
                      "world; every answer's status code, campaign status and device statuses must be the "
                      "same (upgrade ids aside)." + _NO_CONTROL),
        Rule("SIM-04", _M, "Lifecycle timing under the control plane follows the simulator contract",
             needs_clock=True,
             text="Lifecycle timing under the control plane follows the simulator contract "
                  "([simulator-contract.md](simulator-contract.md#lifecycle-timing)), so that a client's "
                  "tests — and the suite — can drive a campaign to any state with a few clock moves.",
             evidence="Campaigns that are valid, all-unreachable, invalid, starting today, mixed and "
                      "cancelled are observed before any move, after a move to the same instant, and at "
                      "every instant of the timing (decided, one second before the start, the start, one "
                      "second before and at the end of the first day, five days on); then, from a fresh "
                      "world, after one move over all of them. Each status must be exactly the one the "
                      "timing prescribes. The stateful model checks random sequences against the same "
                      "timing." + _NO_CONTROL),
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
