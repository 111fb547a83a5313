"""The CLIENT rules: what a conforming client of FOTA v1 sends, as data (same ``Rule`` type as the
server rules of ``rules.py``).

The server rules say what an implementation must accept and answer; these say what a client must
send so that the vendor's API accepts it, and what a well-behaved client does with the answers.
They are written from the vendor's two pages (Schedule a Firmware Upgrade, Add or Remove Devices)
and the vendor facts (docs/vendor-facts.md): both credentials on every call, the ``Bearer`` scheme,
a JSON body labelled as JSON (or ``*/*``, the label of the vendor's own SDK on PUT), the documented
request schemas of openapi.yaml, dates that make sense, and three SHOULDs of good conduct.

``CLIENT_TEXT`` holds the full text of each rule, what it rests on, and what the vendor does when a
client breaks it; ``docs/client-rules.md`` is generated from it (``client_rules_markdown``) and a
test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.spec.rules import Level, Rule

__all__ = ["CLIENT_RULES", "CLIENT_TEXT", "ClientRuleText", "client_rules_markdown"]

_M, _S = Level.MUST, Level.SHOULD

CLIENT_RULES: dict[str, Rule] = {
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
    #: The rule in full, as docs/client-rules.md states it.
    text: str
    #: What it rests on: the vendor's pages, the vendor facts, or good conduct.
    evidence: str
    #: What the vendor's API does (or may do) with a request that breaks the rule; every finding says it.
    vendor: str
    #: Allowed behaviours, where there are several (the report names the one the client took).
    branches: tuple[str, ...] = ()


CLIENT_TEXT: dict[str, ClientRuleText] = {
    "CLIENT-01": ClientRuleText(
        text="Every call of a FOTA v1 operation carries a non-empty `Authorization` header and a non-empty "
             "`VZ-M2M-Token` header.",
        evidence="Both pages: \"The request header must contain a current ThingSpace authorization token and a "
                 "current VZ-M2M session token\"; every vendor SDK sends both on every FOTA call.",
        vendor="refuses the call: without a bearer token the API gateway answers 401 (fault 900902 'Missing "
               "Credentials'); without a session token the call is refused too (the vendor's SDK does not even "
               "send it: AuthValidationException)"),
    "CLIENT-02": ClientRuleText(
        text="`Authorization` is `Bearer <token>`: the `Bearer` scheme (case-insensitive, RFC 7235) followed by "
             "the ThingSpace OAuth access token. Basic credentials, a bare token or the session token in its "
             "place are not accepted.",
        evidence="Both pages: \"HTTP Authorization request header containing a valid Bearer token\".",
        vendor="answers 401 with the gateway's fault body (900901 'Invalid Credentials' or 900902 'Missing "
               "Credentials'); nothing happens"),
    "CLIENT-03": ClientRuleText(
        text="A `POST /upgrades` or `PUT …/upgrade/{upgradeId}` carries a body that is a JSON object, labelled "
             "`Content-Type: application/json` (a charset parameter is fine). On PUT the label `*/*` is also "
             "accepted: it is what the vendor's own Python SDK sends, so the vendor's API demonstrably takes it.",
        evidence="Both pages: \"must set the Content-Type to JSON\" / \"Must be application/json\"; vendor facts: "
                 "the SDK labels its PUT body `*/*` (discrepancy 7).",
        vendor="documents only application/json: a body with another label, no label, or no JSON object may be "
               "refused with 400 {errorCode, errorMessage}",
        branches=("application/json", "*/* on PUT (the vendor SDK's label)")),
    "CLIENT-04": ClientRuleText(
        text="The body of `POST /upgrades` is valid against `FirmwareUpgradeRequest` in openapi.yaml: "
             "`accountName`, `firmwareName`, `startDate` and `deviceList` present; `startDate` and `endDate` "
             "`YYYY-MM-DD` dates (not date-times); `deviceList` a non-empty array of IMEI strings (not numbers); "
             "every field of its documented JSON type. (The IMEI's 15-digit pattern is judged by the target, "
             "device by device, not here.)",
        evidence="Schedule a Firmware Upgrade: the request body table (`startDate` string($date), `deviceList` "
                 "\"array of IMEI strings\", required fields).",
        vendor="answers 400 {errorCode, errorMessage}; no upgrade is scheduled"),
    "CLIENT-05": ClientRuleText(
        text="The body of `PUT /upgrades/{account}/upgrade/{upgradeId}` is valid against "
             "`FirmwareUpgradeChangeRequest` in openapi.yaml: `type` is `append` or `remove`, and `deviceList` "
             "a non-empty array of IMEI strings.",
        evidence="Add or Remove Devices: \"type … either 'append' or 'remove'\", \"deviceList … array of IMEI "
                 "strings\", both required.",
        vendor="answers 400 {errorCode, errorMessage}; the campaign is unchanged"),
    "CLIENT-06": ClientRuleText(
        text="Request bodies use the field names of the vendor's tables and SDKs. The device list is "
             "`deviceList`: the spelling `devicelist` of the vendor's example requests is a MUST failure, "
             "because a conforming server may refuse it (rule POST-05 allows both). Fields the request schema "
             "does not name SHOULD NOT be sent: a server should ignore them (WIRE-04) but need not.",
        evidence="Vendor facts, discrepancy 1 (`deviceList` in every table and SDK, `devicelist` only in the "
                 "pages' examples).",
        vendor="may refuse `devicelist` with 400 (deviceList is required) or take it as deviceList: undocumented; "
               "an unknown field may be ignored or refused"),
    "CLIENT-07": ClientRuleText(
        text="A schedule request's `startDate` is not before the target's today (its clock, UTC; the "
             "simulator's own clock under `simulate`), and its `endDate`, if sent, is not before `startDate`.",
        evidence="A valid schedule request (docs/rules.md, terms): `startDate` not before today, `endDate` not "
                 "before `startDate`; the page: \"the date that you would like the upgrade to start\".",
        vendor="an endDate before startDate: 400, or the request is accepted and the campaign fails "
               "(RequestFailed); a startDate in the past: undocumented, it may be refused or accepted"),
    "CLIENT-08": ClientRuleText(
        text="A client does not add or remove devices (PUT) or cancel (DELETE) a campaign after it has seen "
             "that campaign started or ended: a status `InProgress`, `Finished`, `UpgradeFailed` or "
             "`RequestFailed` in an answer, or its own successful cancel. Only what the client was shown "
             "counts.",
        evidence="Add or Remove Devices: \"You cannot add or remove devices once an upgrade has started\"; "
                 "an upgrade that has started cannot be cancelled.",
        vendor="answers 400; the campaign is unchanged"),
    "CLIENT-09": ClientRuleText(
        text="After a schedule request failed with a 5xx (or got no answer), the client does not send a schedule "
             "request for the "
             "same account, firmware and devices again before it has looked (any GET on that account) whether "
             "the first attempt took effect. A server cannot see a client's timeout, and vcrpy records no "
             "interaction without an answer: repeats after a timeout go unnoticed (said in the report).",
        evidence="Good conduct: `POST /upgrades` is not idempotent (no idempotency key is documented), and a "
                 "5xx does not say that nothing was scheduled.",
        vendor="if the first attempt went through after all, schedules a second campaign for the same devices"),
    "CLIENT-10": ClientRuleText(
        text="A request answered with a 4xx (other than 408 and 429) is not sent again unchanged (same method, "
             "URL, body and credentials): nothing in it changed, so neither will the answer.",
        evidence="Good conduct: a 4xx is the client's error (\"Failure Responses … Status 400\"); both pages "
                 "point to corrective actions, not retries.",
        vendor="answers the same 4xx again"),
}


def client_rules_markdown() -> str:
    """docs/client-rules.md, generated from the tables above (a test keeps the file equal to this)."""
    out = ["# Client rules (CLIENT)", "",
           "What a conforming client of the FOTA v1 API sends, judged by `fota-conformance simulate --strict` "
           "(live, every request the simulator receives) and `fota-conformance check-cassette --client` "
           "(offline, a vcrpy cassette recorded by the client's own tests). Levels as for the server rules "
           "(docs/rules.md): a failed **MUST** makes the client non-conformant (exit code 1), a **SHOULD** "
           "warns. Only the four operations of openapi.yaml are judged; the control plane and other paths are "
           "not API calls.", "",
           "This file is generated from `conformance/spec/client_rules.py`.", "",
           "| rule | level | title |", "| --- | --- | --- |"]
    out += [f"| [{r.id}](#{r.id.lower()}) | {r.level} | {r.title} |" for r in CLIENT_RULES.values()]
    out.append("")
    out += [
        "## How a client is judged", "",
        "- **Live**: `fota-conformance simulate --strict [--client-report-json FILE] [--client-junit-xml FILE] "
        "[--client-markdown FILE]`. The simulator answers as usual; every request it receives is judged, with "
        "the simulator's own clock as the target's clock. The reports are written when it stops (SIGTERM or "
        "Ctrl-C); exit code 0 (no MUST rule failed), 1 (a MUST rule failed), 3 (no call of the four operations "
        "was seen).",
        "- **Offline**: `fota-conformance check-cassette --client CASSETTE` on a vcrpy cassette (e.g. recorded "
        "by pytest-recording). The target's clock is known only from recorded `/__control/clock` answers or a "
        "`PUT /__control/world`; without them CLIENT-07 judges `endDate` only and says so. Record with "
        "`conformance.client.vcr_filter_headers()` as vcrpy's `filter_headers`: the tokens are replaced, the "
        "headers (and the `Bearer` scheme) stay.",
        "- Each finding quotes the offending request (and the one before it, where the rule is about a "
        "sequence) as a curl line with the credentials masked, and says what the vendor's API does with it.",
        "",
        "## Extensions of the reference simulator for client tests", "",
        "Our own control calls, next to those of docs/simulator-contract.md; other simulators need not offer "
        "them, and the suite never uses them.", "",
        "- `GET /__control/client-report` (with `--strict`): the client report so far, as JSON.",
        "- `PUT /__control/outage` `{\"requests\": N, \"status\": 503}`: the next N calls of the four "
        "operations are answered with that 5xx status (500–599, default 503) and an error body, nothing "
        "else happens — to rehearse the vendor's bad day (and CLIENT-09). Answer: 200 with the same object.",
        "",
    ]
    for r in CLIENT_RULES.values():
        t = CLIENT_TEXT[r.id]
        out += [f"## {r.id}", "", f"**{r.level}** — {t.text}", "", f"- Rests on: {t.evidence}",
                f"- What the vendor does otherwise: {t.vendor}."]
        if t.branches:
            out.append(f"- Allowed branches (the report names the one taken): {'; '.join(t.branches)}.")
        out.append("")
    return "\n".join(out)
