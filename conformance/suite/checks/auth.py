"""AUTH — credentials and account isolation (docs/rules.md, AUTH-01 … AUTH-04).

Every refusal is tried on all four operations with a request that *would* succeed with the right
credentials (a valid body, a fresh device, an open campaign), and "no effect" is verified through
the owner's eyes afterwards: no upgrade id issued, the device list unchanged, the campaign still open.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from conformance.suite.context import Ctx
from conformance.suite.http import Exchange
from conformance.suite.oracle import error_problem
from conformance.suite.registry import check
from conformance.suite.toolkit import Calls, Campaign, SetupFailed, open_campaign


@dataclass
class _Probe:
    """One bad-credentials variant, sent on the four operations against one campaign."""

    what: str
    headers: dict[str, str]


#: Bodies no reading of the rules accepts: valid JSON missing every required field, and not JSON.
_BAD_BODIES = ((b"{}", "an empty JSON object as body"), (b"{", "a body that is not JSON"))


def _try_everywhere(ctx: Ctx, calls: Calls, rule_id: str, probes: list[_Probe], statuses: set[int],
                    on_status: Callable[[Exchange], None] | None = None, *, bad_bodies: bool = False) -> None:
    """Send each probe on GET, PUT, POST and DELETE (DELETE last: a faulty target would cancel the
    campaign); each must be an error response with one of ``statuses``; then verify no effect.

    ``bad_bodies``: also send each probe's POST and PUT with a body no one accepts. Credentials
    come first whatever the body: the vendor's gateway refuses a request with a missing or wrong
    bearer token (401) before the service reads it, so a service that validates the body first
    and answers 400 breaks the credential rule (fault auth01-body-before-auth)."""
    c = open_campaign(calls)
    before, status_before, _ = calls.look(c)
    if before is None:
        before, _ = calls.device_ids(c)  # raises SetupFailed with the reason
    fresh = ctx.devices(1)

    def refused(op: str, what: str, ex: Exchange) -> bool:
        problem = error_problem(ex, statuses)
        ctx.expect(rule_id, problem is None, f"{op} with {what} was not refused",
                   expected=f"a {' or '.join(map(str, sorted(statuses)))} error response", actual=problem,
                   exchanges=[ex])
        if problem is None and on_status:
            on_status(ex)
        return problem is None

    for probe in probes:
        sent = [
            ("GET", calls.send("GET", c.account, c.id, creds=None, headers=probe.headers)),
            ("PUT", calls.change(c.account, c.id, {"type": "append", "deviceList": fresh}, creds=None,
                                 headers=probe.headers)),
        ]
        # The POST names the same device (the field has few), unless the PUT wrongly put it in the
        # campaign: then another, so that no device is ever in two open campaigns.
        post_body = ctx.schedule_body(0, deviceList=fresh if ctx.unheld(fresh) else ctx.devices(1))
        sent.append(("POST", calls.schedule(post_body, creds=None, headers=probe.headers)))
        if bad_bodies:
            for raw, body in _BAD_BODIES:
                what = f"{probe.what} and {body}"
                for op, ex in (("POST", calls.schedule(raw=raw, creds=None, headers=probe.headers)),
                               ("PUT", calls.change(c.account, c.id, raw=raw, creds=None, headers=probe.headers))):
                    refused(op, what, ex)
                    _no_campaign_data(ctx, rule_id, op, what, ex, c, before)
        for op, ex in sent:
            refused(op, probe.what, ex)
            _no_campaign_data(ctx, rule_id, op, probe.what, ex, c, before)
    for probe in probes:
        refused("DELETE", probe.what, calls.send("DELETE", c.account, c.id, creds=None, headers=probe.headers))
    ids, status, get = calls.look(c)
    # Still open: as it was, or decided meanwhile (a real target decides RequestPending on its own).
    still_open = status == status_before or status in ("RequestPending", "Queued")
    ctx.expect(rule_id, ids is not None and sorted(ids) == sorted(before) and still_open,
               "a refused request changed the campaign",
               expected=f"the campaign still open with devices {before}", actual=get.outcome(), exchanges=[get])


def _no_campaign_data(ctx: Ctx, rule_id: str, op: str, what: str, ex: Exchange, c: Campaign,
                      devices: list[str]) -> None:
    """A refusal must not carry the campaign (nor issue an id for a POST)."""
    data = ex.data
    leaked = isinstance(data, dict) and ("deviceList" in data or "id" in data)
    leaked = leaked or any(d.encode() in ex.response_body for d in devices)
    ctx.expect(rule_id, not leaked, f"{op} with {what} answered campaign data",
               expected="an error body with nothing of the campaign and no upgrade id", exchanges=[ex])


def _valid_m2m(ctx: Ctx) -> str:
    return ctx.alpha.m2m


@check("AUTH-01")
def missing_or_non_bearer_authorization_gets_401(ctx: Ctx) -> None:
    """No Authorization header, or one that is not ``Bearer <token>``: 401 error response, no effect."""
    m2m = {"VZ-M2M-Token": _valid_m2m(ctx)}
    basic = base64.b64encode(f"user:{ctx.alpha.bearer}".encode()).decode()
    probes = [
        _Probe("no Authorization header", m2m),
        _Probe("Authorization: Basic", {**m2m, "Authorization": f"Basic {basic}"}),
        _Probe("the token without a scheme", {**m2m, "Authorization": ctx.alpha.bearer}),
        _Probe("Authorization: Token <token>", {**m2m, "Authorization": f"Token {ctx.alpha.bearer}"}),
        _Probe("Authorization: Bearer with no token", {**m2m, "Authorization": "Bearer"}),
    ]
    _try_everywhere(ctx, ctx.calls, "AUTH-01", probes, {401}, bad_bodies=True)


@check("AUTH-02")
def unknown_bearer_token_gets_401(ctx: Ctx) -> None:
    """An unknown bearer token (with a valid VZ-M2M-Token): 401 error response, no effect."""
    m2m = {"VZ-M2M-Token": _valid_m2m(ctx)}
    probes = [
        _Probe("an unknown bearer token", {**m2m, "Authorization": f"Bearer unknown-{uuid.uuid4().hex}"}),
        _Probe("the M2M token as bearer", {**m2m, "Authorization": f"Bearer {ctx.alpha.m2m}"}),
        _Probe("a near-miss bearer token", {**m2m, "Authorization": f"Bearer {ctx.alpha.bearer}x"}),
    ]
    _try_everywhere(ctx, ctx.calls, "AUTH-02", probes, {401}, bad_bodies=True)


@check("AUTH-03")
def missing_or_unknown_m2m_token_gets_400_or_401(ctx: Ctx) -> None:
    """No VZ-M2M-Token, or an unknown one (with a valid bearer): 400 or 401 error response, no effect."""
    bearer = {"Authorization": f"Bearer {ctx.alpha.bearer}"}
    probes = [
        _Probe("no VZ-M2M-Token", bearer),
        _Probe("an unknown VZ-M2M-Token", {**bearer, "VZ-M2M-Token": f"unknown-{uuid.uuid4().hex}"}),
        _Probe("an empty VZ-M2M-Token", {**bearer, "VZ-M2M-Token": ""}),
    ]

    def branch(ex: Exchange) -> None:
        ctx.branch("AUTH-03", f"refused with {ex.status}")

    _try_everywhere(ctx, ctx.calls, "AUTH-03", probes, {400, 401}, on_status=branch)


@check("AUTH-04")
def credentials_never_reach_another_account(ctx: Ctx) -> None:
    """Alpha's credentials on beta's account — POST body, path account, or beta's upgrade id under
    alpha's account — get a 4xx error response, change nothing and show nothing of beta's."""
    beta = ctx.beta
    if beta is None:
        ctx.skip("AUTH-04", "the world has no second credential covering another account")
        return
    calls = ctx.calls
    b_name = beta.accounts[0]
    b_acc = ctx.world.account(b_name)
    if b_acc is None:
        raise SetupFailed(f"account {b_name} is not in the world")
    theirs = open_campaign(calls, cred=beta)
    their_devices, status_before, _ = calls.look(theirs)
    if their_devices is None:
        their_devices, _ = calls.device_ids(theirs)  # raises SetupFailed with the reason
    secret = [theirs.id, *their_devices]

    def refused(what: str, ex: Exchange) -> None:
        problem = error_problem(ex)
        ctx.expect("AUTH-04", problem is None, f"{what} was not refused", expected="a 4xx error response",
                   actual=problem, exchanges=[ex])
        data = ex.data
        # What the request itself carried (its path, its body) may be quoted back in an error message:
        # that discloses nothing of the other account's.
        sent = ex.url.encode() + (ex.request_body or b"")
        shown = [s for s in secret if s.encode() in ex.response_body and s.encode() not in sent]
        looks = isinstance(data, dict) and any(k in data for k in ("deviceList", "firmwareName", "status"))
        ctx.expect("AUTH-04", not shown and not looks, f"{what} showed the other account's data",
                   expected="nothing of the other account in the body",
                   actual=f"{shown or 'campaign fields'} in {ex.body_text(150)}", exchanges=[ex])

    # 1. POST body naming account B (its firmware and devices, so only the account check can refuse).
    spare = [d.imei for d in b_acc.devices if d.imei not in ctx.used]
    fw_b = next((f for f in b_acc.firmware if any(d.fits(f) for d in b_acc.devices)), None)
    body = {"accountName": b_name, "firmwareName": fw_b.name if fw_b else ctx.firmware.name,
            "startDate": ctx.start_date().isoformat(), "deviceList": spare[:1] or ctx.devices(1)}
    refused("POST with another account's accountName", calls.schedule(body))
    # 2. Paths naming account B, and 3. B's upgrade id under A's account.
    for label, account in (("a path with the other account", b_name),
                           ("the other account's upgrade id under one's own account", ctx.account.name)):
        refused(f"GET of {label}", calls.details(account, theirs.id))
        add = {"type": "append", "deviceList": spare[1:2] or ["350000000099998"]}
        refused(f"PUT append on {label}", calls.change(account, theirs.id, add))
        drop = {"type": "remove", "deviceList": their_devices[:1]}
        refused(f"PUT remove on {label}", calls.change(account, theirs.id, drop))
        refused(f"DELETE of {label}", calls.cancel(account, theirs.id))
    ids, status, get = calls.look(theirs)
    ctx.expect("AUTH-04", ids is not None and sorted(ids) == sorted(their_devices)
               and (status == status_before or status in ("RequestPending", "Queued")),
               "a refused cross-account request changed the other account's campaign",
               expected=f"the campaign still open with devices {their_devices}",
               actual=get.outcome(), exchanges=[get])
