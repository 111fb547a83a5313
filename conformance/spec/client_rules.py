"""The CLIENT rules: what a conforming client of FOTA v1 sends, as data (same ``Rule`` type as the
server rules of ``rules.py``).

The server rules say what an implementation must accept and answer; these say what a client must
send so that the vendor's API accepts it, and what a well-behaved client does with the answers.
They are written from the vendor's two pages (Schedule a Firmware Upgrade, Add or Remove Devices)
and the vendor facts (docs/vendor-facts.md): both credentials on every call, the ``Bearer`` scheme,
a JSON body labelled as JSON (or ``*/*``, the label of the vendor's own SDK on PUT), the documented
request schemas of openapi.yaml, dates that make sense, and three SHOULDs of good conduct.

``CLIENT_TEXT`` holds the full text of each rule, what it rests on, what the judge looks at, and what
the vendor does when a client breaks it (every finding quotes that); ``CLIENT_RULES`` joins them into
the ``Rule`` type, and docs/rules.md shows them as its "Client rules" table (conformance/cli/rules.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from conformance.spec.rules import Level, Rule

__all__ = ["CLIENT_FAMILY_TEXT", "CLIENT_INTRO", "CLIENT_RULES", "CLIENT_TEXT", "ClientRuleText"]

_M, _S = Level.MUST, Level.SHOULD

#: id, level, title and flags; the texts follow in CLIENT_TEXT, and CLIENT_RULES joins the two.
_HEADS: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("CLIENT-01", _M, "Every API call carries both credentials: Authorization and VZ-M2M-Token"),
        Rule("CLIENT-02", _M, "Authorization uses the Bearer scheme: 'Bearer <token>'"),
        Rule("CLIENT-03", _M, "A POST or PUT body is a JSON object labelled application/json (or */* on PUT)",
             has_branches=True),
        Rule("CLIENT-04", _M, "A schedule request body is valid against openapi.yaml's FirmwareUpgradeRequest"),
        Rule("CLIENT-05", _M, "An add/remove body is valid against openapi.yaml's FirmwareUpgradeChangeRequest"),
        Rule("CLIENT-06", _M, "Bodies use the documented field names: deviceList, never devicelist "
                              "(SHOULD: no unknown fields)", has_should_part=True),
        Rule("CLIENT-07", _M, "Dates make sense: startDate not before the target's today, "
                              "endDate not before startDate"),
        Rule("CLIENT-08", _S, "No add/remove or cancel of a campaign the client has already seen started or ended"),
        Rule("CLIENT-09", _S, "A schedule request that failed (5xx) is not repeated blindly"),
        Rule("CLIENT-10", _S, "A request refused with a 4xx is not sent again unchanged"),
    )
}


@dataclass(frozen=True, slots=True)
class ClientRuleText:
    #: The rule in full, as docs/rules.md states it.
    text: str
    #: What it rests on: the vendor's pages, the vendor facts, or good conduct.
    basis: str
    #: What the vendor's API does (or may do) with a request that breaks the rule; every finding says it.
    vendor: str
    #: What the judge looks at (the Rule's ``evidence``).
    judged: str = ""
    #: Allowed behaviours, where there are several: (the report's branch name, what it means).
    branches: tuple[tuple[str, str], ...] = ()


CLIENT_TEXT: dict[str, ClientRuleText] = {
    "CLIENT-01": ClientRuleText(
        text="Every call of a FOTA v1 operation carries a non-empty `Authorization` header and a non-empty "
             "`VZ-M2M-Token` header.",
        basis="Both pages: \"The request header must contain a current ThingSpace authorization token and a "
                 "current VZ-M2M session token\"; every vendor SDK sends both on every FOTA call.",
        vendor="refuses the call: without a bearer token the API gateway answers 401 (fault 900902 'Missing "
               "Credentials'); without a session token the call is refused too (the vendor's SDK does not even "
               "send it: AuthValidationException)",
        judged="Every call of the four operations: both headers present and not blank."),
    "CLIENT-02": ClientRuleText(
        text="`Authorization` is `Bearer <token>`: the `Bearer` scheme (case-insensitive, RFC 7235) followed by "
             "the ThingSpace OAuth access token. Basic credentials, a bare token or the session token in its "
             "place are not accepted.",
        basis="Both pages: \"HTTP Authorization request header containing a valid Bearer token\".",
        vendor="answers 401 with the gateway's fault body (900901 'Invalid Credentials' or 900902 'Missing "
               "Credentials'); nothing happens",
        judged="Every call with an `Authorization` header: its scheme word is `Bearer` and a token follows."),
    "CLIENT-03": ClientRuleText(
        text="A `POST /upgrades` or `PUT …/upgrade/{upgradeId}` carries a body that is a JSON object, labelled "
             "`Content-Type: application/json` (a charset parameter is fine). On PUT the label `*/*` is also "
             "accepted: it is what the vendor's own Python SDK sends, so the vendor's API demonstrably takes it.",
        basis="Both pages: \"must set the Content-Type to JSON\" / \"Must be application/json\"; vendor facts: "
                 "the SDK labels its PUT body `*/*` (discrepancy 7).",
        vendor="documents only application/json: a body with another label, no label, or no JSON object may be "
               "refused with 400 {errorCode, errorMessage}",
        judged="Every POST and PUT: the body parses as a JSON object; `Content-Type` is `application/json` (any "
               "parameters), or `*/*` on PUT.",
        branches=(("application/json", "a body was labelled `application/json` (any parameters)"),
                  ("*/* on PUT (the vendor SDK's label)",
                   "a PUT body was labelled `*/*`, as the vendor's Python SDK labels it"))),
    "CLIENT-04": ClientRuleText(
        text="The body of `POST /upgrades` is valid against `FirmwareUpgradeRequest` in openapi.yaml: "
             "`accountName`, `firmwareName`, `startDate` and `deviceList` present; `startDate` and `endDate` "
             "`YYYY-MM-DD` dates (not date-times); `deviceList` a non-empty array of IMEI strings (not numbers); "
             "every field of its documented JSON type. (The IMEI's 15-digit pattern is judged by the target, "
             "device by device, not here.)",
        basis="Schedule a Firmware Upgrade: the request body table (`startDate` string($date), `deviceList` "
                 "\"array of IMEI strings\", required fields).",
        vendor="answers 400 {errorCode, errorMessage}; no upgrade is scheduled",
        judged="Every POST whose body is a JSON object, validated against the operation's request schema in "
               "openapi.yaml (`devicelist` read as `deviceList`: the spelling is CLIENT-06's)."),
    "CLIENT-05": ClientRuleText(
        text="The body of `PUT /upgrades/{account}/upgrade/{upgradeId}` is valid against "
             "`FirmwareUpgradeChangeRequest` in openapi.yaml: `type` is `append` or `remove`, and `deviceList` "
             "a non-empty array of IMEI strings.",
        basis="Add or Remove Devices: \"type … either 'append' or 'remove'\", \"deviceList … array of IMEI "
                 "strings\", both required.",
        vendor="answers 400 {errorCode, errorMessage}; the campaign is unchanged",
        judged="Every PUT whose body is a JSON object, validated against the operation's request schema in "
               "openapi.yaml (`devicelist` read as `deviceList`)."),
    "CLIENT-06": ClientRuleText(
        text="Request bodies use the field names of the vendor's tables and SDKs. The device list is "
             "`deviceList`: the spelling `devicelist` of the vendor's example requests is a MUST failure, "
             "because a conforming server may refuse it (rule POST-05 allows both). Fields the request schema "
             "does not name SHOULD NOT be sent: a server should ignore them (WIRE-04) but need not.",
        basis="Vendor facts, discrepancy 1 (`deviceList` in every table and SDK, `devicelist` only in the "
                 "pages' examples).",
        vendor="may refuse `devicelist` with 400 (deviceList is required) or take it as deviceList: undocumented; "
               "an unknown field may be ignored or refused",
        judged="Every POST and PUT body that is a JSON object: its keys against the properties of the request "
               "schema."),
    "CLIENT-07": ClientRuleText(
        text="A schedule request's `startDate` is not before the target's today (its clock, UTC; the "
             "simulator's own clock under `simulate`), and its `endDate`, if sent, is not before `startDate`.",
        basis="A valid schedule request (docs/rules.md, terms): `startDate` not before today, `endDate` not "
                 "before `startDate`; the page: \"the date that you would like the upgrade to start\".",
        vendor="an endDate before startDate: 400, or the request is accepted and the campaign fails "
               "(RequestFailed); a startDate in the past: undocumented, it may be refused or accepted",
        judged="Every schedule request with a `YYYY-MM-DD` `startDate`: `endDate` against it, and `startDate` "
               "against the target's clock when it is known (live: the simulator's; a recording: its control "
               "calls)."),
    "CLIENT-08": ClientRuleText(
        text="A client does not add or remove devices (PUT) or cancel (DELETE) a campaign after it has seen "
             "that campaign started or ended: a status `InProgress`, `Finished`, `UpgradeFailed` or "
             "`RequestFailed` in an answer, or its own successful cancel. Only what the client was shown "
             "counts.",
        basis="Add or Remove Devices: \"You cannot add or remove devices once an upgrade has started\"; "
                 "an upgrade that has started cannot be cancelled.",
        vendor="answers 400; the campaign is unchanged",
        judged="Every PUT and DELETE of a campaign the session has shown the client, against the last status an "
               "answer showed it (a 2xx answer to its own DELETE counts as cancelled)."),
    "CLIENT-09": ClientRuleText(
        text="After a schedule request failed with a 5xx (or got no answer), the client does not send a schedule "
             "request for the "
             "same account, firmware and devices again before it has looked (any GET on that account) whether "
             "the first attempt took effect. A server cannot see a client's timeout, and vcrpy records no "
             "interaction without an answer: repeats after a timeout go unnoticed (said in the report).",
        basis="Good conduct: `POST /upgrades` is not idempotent (no idempotency key is documented), and a "
                 "5xx does not say that nothing was scheduled.",
        vendor="if the first attempt went through after all, schedules a second campaign for the same devices",
        judged="Every schedule request answered 5xx (or not at all): a later schedule request with the same "
               "account, firmware and set of devices, with no GET naming that account in between."),
    "CLIENT-10": ClientRuleText(
        text="A request answered with a 4xx (other than 408 and 429) is not sent again unchanged (same method, "
             "URL, body and credentials): nothing in it changed, so neither will the answer.",
        basis="Good conduct: a 4xx is the client's error (\"Failure Responses … Status 400\"); both pages "
                 "point to corrective actions, not retries.",
        vendor="answers the same 4xx again",
        judged="Every request answered 4xx (not 408 or 429): the identical request (method, URL, body, both "
               "credentials) sent again before an identical one succeeded."),
}


CLIENT_RULES: dict[str, Rule] = {
    rid: replace(head, text=f"{CLIENT_TEXT[rid].text}\n\n*Rests on:* {CLIENT_TEXT[rid].basis}\n\n"
                            f"*What the vendor does otherwise:* {CLIENT_TEXT[rid].vendor}.",
                 evidence=CLIENT_TEXT[rid].judged, branches=CLIENT_TEXT[rid].branches)
    for rid, head in _HEADS.items()
}


#: For docs/rules.md: the family's title and what it covers.
CLIENT_FAMILY_TEXT: dict[str, tuple[str, str]] = {
    "CLIENT": ("what a client sends", "Requests of the four operations, and how a client reacts to the answers."),
}

#: The introduction of the client rules' section of docs/rules.md (Markdown).
CLIENT_INTRO = "\n".join([
    "What a conforming *client* of the API sends, and how a well-behaved one reacts to the answers: a failed "
    "**MUST** makes the client non-conformant (exit code 1), a **SHOULD** warns. Only calls of the four "
    "operations are judged; the control plane and other paths are not API calls. Two ways in, one report "
    "shape (the JSON report of `run`):",
    "",
    "- **Live**: `fota-conformance simulate --strict [--client-report-json FILE] [--client-junit-xml FILE] "
    "[--client-markdown FILE]`. The simulator answers as usual and judges every request it receives, with its "
    "own clock as the target's clock; the reports are written when it stops (SIGTERM or Ctrl-C). Exit code 0 "
    "(no MUST rule failed), 1 (a MUST rule failed), 3 (no call of the four operations was seen).",
    "- **Offline**: `fota-conformance check-cassette --client CASSETTE` on a vcrpy cassette (e.g. recorded by "
    "pytest-recording). A recording shows the target's clock only through `/__control/clock` answers or a "
    "`PUT /__control/world`; without them CLIENT-07 judges `endDate` only, and says so. Record with "
    "`conformance.client.vcr_filter_headers()` as vcrpy's `filter_headers`: the tokens are replaced, the "
    "headers (and the `Bearer` scheme) stay.",
    "",
    "Each finding quotes the offending request (and the one before it, where the rule is about a sequence) as "
    "a curl line with the credentials masked, and says what the vendor's API does with it. For client tests "
    "the reference simulator offers two control calls of its own (other simulators need not; the suite never "
    "uses them): `GET /__control/client-report` (with `--strict`: the report so far) and "
    "`PUT /__control/outage` `{\"requests\": N, \"status\": 503}` (the next N calls of the four operations "
    "are answered with that 5xx, 500–599, default 503, and an error body, and nothing else happens: the "
    "vendor's bad day, rehearsed).",
])
