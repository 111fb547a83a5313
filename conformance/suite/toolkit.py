"""The one toolkit every check uses to talk to a target: ``ctx.calls`` (a ``Calls``).

- ``Calls`` — the four operations (and ``send`` for a request no operation method can express).
  Every answer comes back through ``Calls._judged``, which judges it once for the rules that hold
  for every answer (``oracle.universal_problems``: WIRE-01, WIRE-02, the error-response shape),
  every accepted POST for POST-02 (a new id) and every PUT result for PUT-07 (``Reason``). So those
  rules are checked on *all* exchanges of every check family — lifecycle, SIM and the stateful
  exploration included — not on one sample. Checks never call ``ctx.api`` themselves (a test
  keeps it so).
- ``Campaign`` — one upgrade a check created, with what it was created with.
- ``Tracker`` — every status a lifecycle check observes goes through it: LIFE-01 (one of six) and
  LIFE-02 (an allowed change) are judged on each, and the report's lifecycle diagram is fed.
- ``open_campaign`` — an open campaign to test PUT/AUTH/WIRE on; against a target without a
  control plane one campaign per account and run is shared, because campaigns are capped there.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from conformance.spec.lifecycle import STATUSES, TERMINAL, Status, is_allowed_change, midnight
from conformance.spec.rules import Level
from conformance.spec.world import Credential, Firmware, format_instant
from conformance.suite.context import Api, ControlError, Ctx, NotEnoughDevices
from conformance.suite.http import Exchange
from conformance.suite.oracle import items_of, reason_key_problem, universal_problems

__all__ = [
    "ALPHA",
    "NO_GET",
    "SDK_HEADERS",
    "UNIVERSAL_RULES",
    "Calls",
    "Campaign",
    "SetupFailed",
    "Tracker",
    "move_clock",
    "open_campaign",
]

#: The rules ``Calls`` judges on every answer of every check (besides the checks that name them).
UNIVERSAL_RULES: Final = ("WIRE-01", "WIRE-02", "POST-02", "PUT-07")
#: Default for ``creds``: the check's own credential (``None`` means "send no auth headers").
ALPHA: Final = object()
#: GET answers that mean "this target has no GET details operation" (not a lifecycle finding).
NO_GET: Final = frozenset({404, 405, 501})

#: What the vendor's v4 SDK adds to every call (docs/vendor-facts.md): a target must ignore them (WIRE-04).
SDK_HEADERS: Final[dict[str, str]] = {
    "User-Agent": "VerizonClient/v1.0 Python",
    "X-APIMatic-Lang": "python",
    "X-APIMatic-Package-Version": "0.0.1",
    "X-APIMatic-Gen-Version": "4.0",
    "X-APIMatic-OS": "Linux",
    "X-APIMatic-Runtime": "CPython 3.11",
}


class SetupFailed(NotEnoughDevices):
    """The check could not build what it tests on (e.g. POST refused the campaign it needs).

    A subclass of NotEnoughDevices so that the runner reports the check's rules *skipped* with
    this reason: the rule that really broke (POST-01 …) is reported by its own check.
    """


@dataclass
class Campaign:
    """One upgrade a check created: what it was created with, for later GET/PUT/DELETE."""

    account: str
    id: str
    cred: Credential
    body: dict[str, Any]
    created: Exchange | None = None

    @property
    def start_date(self) -> date:
        return date.fromisoformat(str(self.body["startDate"]))

    @property
    def start(self) -> datetime:
        """startDate 00:00:00Z, the instant LIFE-03 and the SIM-04 timing are about."""
        return midnight(self.start_date)

    @property
    def devices(self) -> list[str]:
        """The devices it was created with (checks that change it track the list themselves)."""
        return [str(d) for d in self.body.get("deviceList", [])]


def _accepted_id(ex: Exchange) -> str | None:
    data = ex.data
    return data["id"] if ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str) else None


@dataclass
class Calls:
    """The four operations of one check, every answer judged once for the universal rules."""

    ctx: Ctx
    #: Ids accepted so far (POST-02): since the last world load under a control plane (a world load
    #: may legitimately restart a deterministic id sequence), the whole run's without one.
    ids: set[str] = field(default_factory=set)
    _reported: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.ctx.control is None:
            self.ids.update(upgrade_id for _, upgrade_id, _ in self.ctx.api.ledger.created)

    def _creds(self, creds: object) -> Credential | None:
        return self.ctx.alpha if creds is ALPHA else creds  # type: ignore[return-value]

    def _once(self, rule_id: str, key: str) -> bool:
        """One finding per rule and kind of answer per check: the report stays readable."""
        if (rule_id, key) in self._reported:
            return False
        self._reported.add((rule_id, key))
        return True

    def _judged(self, ex: Exchange) -> Exchange:
        """The one place an answer is judged for the rules that hold for every answer."""
        if ex.status is None:
            return ex
        ctx = self.ctx
        ctx.exercised("WIRE-01", "WIRE-02")
        for p in universal_problems(ex):
            if self._once(p.rule, f"{ex.method} {ex.status}"):
                ctx.fail(p.rule, p.title, expected=p.expected, actual=ex.outcome(), exchanges=[ex])
        return ex

    # --- sending ---------------------------------------------------------------------------------
    def send(self, method: str, account: str, upgrade_id: str, *, creds: object = ALPHA,
             headers: Mapping[str, str] | None = None, raw: bytes | None = None) -> Exchange:
        """A request on the campaign path no operation method expresses (a GET with a body, a
        DELETE with odd headers, …); judged like every other answer."""
        return self._judged(self.ctx.api.on_campaign(method, account, upgrade_id, creds=self._creds(creds),
                                                     headers=headers, raw=raw))

    def schedule(self, body: Any = None, *, creds: object = ALPHA, raw: bytes | None = None,
                 content_type: str | None = "application/json",
                 headers: Mapping[str, str] | None = None) -> Exchange:
        cred = self._creds(creds)
        ex = self._judged(self.ctx.api.schedule(body, creds=cred, raw=raw, content_type=content_type,
                                                headers=headers))
        new = _accepted_id(ex)
        if new is not None:
            if cred is None:
                # Api records only requests sent with credentials; one wrongly accepted without
                # them must still be cancelled at the end of a black-box run.
                account = ex.data.get("accountName")
                self.ctx.api.ledger.record(account if isinstance(account, str) else "", new, self.ctx.alpha)
            self.ctx.exercised("POST-02")
            if new in self.ids:
                self.ctx.fail("POST-02", "an accepted request got an id already issued",
                              expected="a new id for every accepted request", actual=f"id {new} again",
                              exchanges=[ex])
            self.ids.add(new)
        return ex

    def change(self, account: str, upgrade_id: str, body: Any = None, *, creds: object = ALPHA,
               raw: bytes | None = None, content_type: str | None = "application/json",
               headers: Mapping[str, str] | None = None) -> Exchange:
        ex = self._judged(self.ctx.api.change(account, upgrade_id, body, creds=self._creds(creds), raw=raw,
                                              content_type=content_type, headers=headers))
        if ex.status == 200 and items_of(ex):
            # PUT-07 (SHOULD) on every PUT result with items: exercised only where it could break.
            self.ctx.exercised("PUT-07")
            bad = reason_key_problem(ex)
            if bad is not None and self._once("PUT-07", "key"):
                self.ctx.fail("PUT-07", "a PUT result item carries no Reason key",
                              expected="every result item's reason under the key Reason (capital R)",
                              actual=f"item {bad}", exchanges=[ex], severity=Level.SHOULD)
        return ex

    def details(self, account: str, upgrade_id: str, *, creds: object = ALPHA) -> Exchange:
        return self._judged(self.ctx.api.details(account, upgrade_id, creds=self._creds(creds)))

    def cancel(self, account: str, upgrade_id: str, *, creds: object = ALPHA) -> Exchange:
        return self._judged(self.ctx.api.cancel(account, upgrade_id, creds=self._creds(creds)))

    # --- campaigns -------------------------------------------------------------------------------
    def submit(self, body: dict[str, Any], *, cred: Credential | None = None) -> tuple[Exchange, Campaign | None]:
        """POST ``body``; the Campaign when the target accepted it (200 with a string id)."""
        cred = cred or self.ctx.alpha
        ex = self.schedule(body, creds=cred)
        new = _accepted_id(ex)
        return ex, None if new is None else Campaign(str(body["accountName"]), new, cred, dict(body), ex)

    def create(self, *, n: int = 2, cred: Credential | None = None, account_name: str | None = None,
               firmware: Firmware | None = None) -> Campaign:
        """Schedule a fresh valid campaign (of alpha's account unless told otherwise), or SetupFailed."""
        ctx = self.ctx
        acc = ctx.world.account(account_name) if account_name else ctx.account
        if acc is None:
            raise SetupFailed(f"account {account_name} is not in the world")
        fw = firmware or (ctx.firmware if acc is ctx.account else max(
            acc.firmware, key=lambda f: sum(d.fits(f) for d in acc.devices), default=None))
        if fw is None:
            raise NotEnoughDevices(f"account {acc.name} has no firmware")
        body = {"accountName": acc.name, "firmwareName": fw.name, "firmwareTo": fw.to_version,
                "startDate": ctx.start_date().isoformat(), "deviceList": ctx.devices(n, firmware=fw, account=acc)}
        ex, campaign = self.submit(body, cred=cred)
        if campaign is None:
            raise SetupFailed(f"could not create a campaign to test on: POST /upgrades answered {ex.outcome()}")
        return campaign

    def look(self, c: Campaign) -> tuple[list[str] | None, str | None, Exchange]:
        """GET the campaign with its owner's credentials: (device ids, status, exchange)."""
        ex = self.details(c.account, c.id, creds=c.cred)
        items = items_of(ex) if ex.status == 200 else None
        ids = [str(i.get("deviceId")) for i in items] if items is not None else None
        data = ex.data
        status = data.get("status") if ex.status == 200 and isinstance(data, dict) else None
        return ids, status if isinstance(status, str) else None, ex

    def device_ids(self, c: Campaign) -> tuple[list[str], Exchange]:
        ids, _, ex = self.look(c)
        if ids is None:
            raise SetupFailed(f"cannot read campaign {c.id}: GET answered {ex.outcome()}")
        return ids, ex


#: Black-box runs share one open campaign per account and run (keyed by the run's Api object).
_SHARED: weakref.WeakKeyDictionary[Api, dict[str, Campaign]] = weakref.WeakKeyDictionary()


def open_campaign(calls: Calls, *, n: int = 2, cred: Credential | None = None) -> Campaign:
    """An open campaign of ``cred``'s (default alpha's) first account. With a control plane a new
    one (the world was just reloaded); without, the run's shared one, so that the PUT/AUTH/WIRE
    checks together cost one campaign per account of the capped budget. Checks must read its
    device list rather than assume it."""
    ctx = calls.ctx
    cred = cred or ctx.alpha
    account = cred.accounts[0]
    if ctx.control is not None:
        return calls.create(n=n, cred=cred, account_name=account)
    shared = _SHARED.setdefault(ctx.api, {})
    if account in shared:
        _, status, _ = calls.look(shared[account])
        # Reused while open; a status name LIFE-01 does not know counts as open too (LIFE-01 is
        # judged elsewhere): a new campaign per check would use up a small world's devices.
        if status is not None and status not in ("RequestFailed", "UpgradeFailed", "Finished", "InProgress"):
            return shared[account]
    # One device is enough to keep it open; checks append what they need (the pool is small).
    campaign = calls.create(n=1, cred=cred, account_name=account)
    shared[account] = campaign
    if ctx.api.pool is not None:
        ctx.api.pool.keep(campaign.account, campaign.id)  # trimmed between checks, not cancelled
    return campaign


def move_clock(ctx: Ctx, now: datetime) -> Exchange:
    """PUT /__control/clock to ``now``; a refusal of a forward (or equal) move ends the check.

    Refusals of earlier times are SIM-02's own business (it calls ``set_clock`` directly)."""
    assert ctx.control is not None
    ex = ctx.control.set_clock(now)
    if ex.status != 200:
        raise ControlError(f"PUT /__control/clock {format_instant(now)} answered {ex.outcome()}")
    return ex


class Tracker:
    """Every status observation of a lifecycle check goes through here; it judges LIFE-01 and
    LIFE-02 as it goes, and keeps the check's exchanges in order for reproductions."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.last: dict[str, str] = {}
        #: Every exchange so far, in order: a failing check quotes them as its reproduction.
        self.log: list[Exchange] = []
        #: Campaigns the target confirmed cancelled (DELETE 200). Cancelling is no lifecycle edge:
        #: the status a cancelled campaign shows next is LIFE-06's business ("a 4xx, or a
        #: terminal status"), so e.g. Queued → RequestFailed after a DELETE is not a LIFE-02 breach.
        self.cancelled: set[str] = set()

    def note(self, *exchanges: Exchange) -> None:
        self.log.extend(exchanges)
        for ex in exchanges:
            if ex.method == "DELETE" and ex.status == 200:
                self.cancelled.add(ex.url.rstrip("/").rsplit("/", 1)[-1])

    def submit(self, body: dict[str, Any]) -> tuple[Exchange, Campaign | None]:
        """POST through ``ctx.calls``, noted; the status an accepted answer shows is judged too."""
        ex, c = self.ctx.calls.submit(body)
        self.note(ex)
        if c is not None and isinstance(ex.data.get("status"), str):
            self.see(c.id, ex.data["status"], ex)
        return ex, c

    def get(self, c: Campaign) -> tuple[Exchange, str | None]:
        """GET the campaign; returns the exchange and its status (None when there is none)."""
        ex = self.ctx.calls.details(c.account, c.id, creds=c.cred)
        self.log.append(ex)
        data = ex.data
        if ex.status != 200 or not isinstance(data, dict) or not isinstance(data.get("status"), str):
            return ex, None
        status = data["status"]
        self.see(c.id, status, ex)
        return ex, status

    def see(self, uid: str, status: str, ex: Exchange | None = None) -> None:
        """Judge one observed status of campaign ``uid`` (also those seen in POST answers)."""
        ctx = self.ctx
        if ex is not None and (not self.log or self.log[-1] is not ex):
            self.log.append(ex)
        # The last few requests are enough to replay what led up to the observation.
        exs = self.log[-8:]
        ctx.expect("LIFE-01", status in STATUSES, f"campaign status {status!r} is not one of the six",
                   expected=" | ".join(sorted(STATUSES)), actual=status, exchanges=exs)
        before = self.last.get(uid)
        self.last[uid] = status
        if before is None or before == status:
            return
        if uid in self.cancelled and before not in TERMINAL:
            return  # the change a cancellation makes (LIFE-06); terminal ones still never change
        ctx.observe_edge(before, status)
        if before not in STATUSES or status not in STATUSES:
            return  # LIFE-01 already said what is wrong; no edge judgement on unknown names
        ok = is_allowed_change(Status(before), Status(status))
        title = (f"terminal status {before} changed to {status}" if before in TERMINAL
                 else f"status changed {before} → {status}, which no path of LIFE-02 edges allows")
        ctx.expect("LIFE-02", ok, title, expected=f"{before} → one of "
                   f"{', '.join(sorted(s.value for s in Status if is_allowed_change(Status(before), s)))}",
                   actual=status, exchanges=exs)

    def expect_status(self, rule_id: str, c: Campaign, allowed: Sequence[str] | frozenset[str], title: str,
                      ) -> str | None:
        """GET and require one of ``allowed`` under ``rule_id``; returns the status seen."""
        ex, status = self.get(c)
        self.ctx.expect(rule_id, status in allowed, title,
                        expected=f"status {' or '.join(sorted(allowed))}",
                        actual=f"status {status}" if status is not None else ex.outcome(),
                        exchanges=self.log[-8:])
        return status
