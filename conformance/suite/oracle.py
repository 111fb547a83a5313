"""What a correct target may answer, and the small toolkit the rule checks share.

- ``error_problem`` — is an exchange an *error response* (docs/rules.md#terms)?
- ``Calls`` — the four operations as the checks use them: every response they see is judged for
  WIRE-01 (JSON, application/json) and WIRE-02 (no 5xx), every accepted POST for POST-02 (a new id)
  and every PUT result for PUT-07 (``Reason``), so those rules are checked on *all* exchanges of
  every check, not on one sample.
- ``open_campaign`` — an open campaign to test PUT/AUTH on; against a target without a control
  plane one campaign per run is shared, because campaigns are capped there (docs/simulator-contract.md#safety).
- ``schedule_validity`` — the request-validity oracle of "valid schedule request" (docs/rules.md#terms), used by
  the schema exploration to decide what status a generated request must get.
"""

from __future__ import annotations

import re
import uuid
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from conformance.spec.rules import Level
from conformance.spec.world import Credential, Firmware, World
from conformance.suite.context import Api, Ctx, NotEnoughDevices
from conformance.suite.http import Exchange

__all__ = [
    "ALPHA",
    "SDK_HEADERS",
    "Calls",
    "Campaign",
    "SetupFailed",
    "error_problem",
    "is_json_media_type",
    "is_uuid",
    "items_of",
    "open_campaign",
    "reason_of",
    "schedule_validity",
]

#: Default for ``creds``: the check's own credential (``None`` means "send no auth headers").
ALPHA: Final = object()

#: What the vendor's v4 SDK adds to every call (docs/vendor-facts.md#every-operation): a target must
#: ignore them (WIRE-04).
SDK_HEADERS: Final[dict[str, str]] = {
    "User-Agent": "VerizonClient/v1.0 Python",
    "X-APIMatic-Lang": "python",
    "X-APIMatic-Package-Version": "0.0.1",
    "X-APIMatic-Gen-Version": "4.0",
    "X-APIMatic-OS": "Linux",
    "X-APIMatic-Runtime": "CPython 3.11",
}

PUT_SUCCESS: Final = frozenset({"AddDeviceSucceed", "RemoveDeviceSucceed"})
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class SetupFailed(NotEnoughDevices):
    """The check could not build what it tests on (e.g. POST refused the campaign it needs).

    A subclass of NotEnoughDevices so that the runner reports the check's rules *skipped* with
    this reason: the rule that really broke (POST-01 …) is reported by its own check.
    """


def is_json_media_type(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def error_problem(ex: Exchange, statuses: Iterable[int] | None = None) -> str | None:
    """None when ``ex`` is an error response (docs/rules.md#terms) with one of ``statuses`` (default:
    any 4xx); else what is wrong with it, in a few words."""
    allowed = set(statuses) if statuses is not None else set(range(400, 500))
    if ex.status is None:
        return f"no response ({ex.error})"
    if ex.status not in allowed:
        return f"status {ex.status}"
    if not is_json_media_type(ex.content_type):
        return f"Content-Type {ex.content_type or 'missing'}"
    data = ex.data
    if isinstance(data, dict):
        if _nonempty_str(data.get("errorCode")) and _nonempty_str(data.get("errorMessage")):
            return None
        fault = data.get("fault")
        # The gateway's body is allowed for 401 only (docs/rules.md#terms).
        if ex.status == 401 and isinstance(fault, dict) and "code" in fault and "message" in fault:
            return None
    return "body is not {errorCode, errorMessage}" + (" or a gateway fault" if ex.status == 401 else "")


def items_of(ex: Exchange) -> list[dict[str, Any]] | None:
    """The ``deviceList`` items of a 200 answer (POST, PUT or GET), or None when it has none."""
    data = ex.data
    if not isinstance(data, dict) or not isinstance(data.get("deviceList"), list):
        return None
    items = data["deviceList"]
    return items if all(isinstance(i, dict) for i in items) else None


def reason_of(item: Mapping[str, Any]) -> object:
    """Any reason the item gives, whatever the spelling (PUT-07 judges the spelling separately)."""
    for key in ("Reason", "reason", "resultReason"):
        if _nonempty_str(item.get(key)):
            return item[key]
    return None


@dataclass
class Campaign:
    account: str
    id: str
    cred: Credential
    body: dict[str, Any]
    start: date


@dataclass
class Calls:
    """The four operations, judged on every answer for the rules that hold for every answer."""

    ctx: Ctx
    #: Ids accepted so far (POST-02): this check's only under a control plane (a world load may
    #: legitimately restart a deterministic id sequence), the whole run's without one.
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

    def judge(self, ex: Exchange) -> Exchange:
        """WIRE-01 and WIRE-02 on one answer of an API operation."""
        ctx = self.ctx
        if ex.status is None:
            return ex
        ctx.exercised("WIRE-01", "WIRE-02")
        if ex.status >= 500 and self._once("WIRE-02", f"{ex.method} {ex.status}"):
            ctx.fail("WIRE-02", f"{ex.method} answered a server error", expected="no 5xx for any request",
                     actual=ex.outcome(), exchanges=[ex])
        ok = is_json_media_type(ex.content_type) and ex.is_json
        if not ok and self._once("WIRE-01", f"{ex.method} {ex.status}"):
            ctx.fail("WIRE-01", f"{ex.method} answered {ex.status} that is not JSON labelled application/json",
                     expected="a JSON body with Content-Type application/json", actual=ex.outcome(),
                     exchanges=[ex])
        return ex

    def schedule(self, body: Any = None, *, creds: object = ALPHA, raw: bytes | None = None,
                 content_type: str | None = "application/json",
                 headers: Mapping[str, str] | None = None) -> Exchange:
        ex = self.judge(self.ctx.api.schedule(body, creds=self._creds(creds), raw=raw,
                                              content_type=content_type, headers=headers))
        data = ex.data
        if ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str):
            new = data["id"]
            if self._creds(creds) is None:
                # Api records only requests sent with credentials; one wrongly accepted without
                # them must still be cancelled at the end of a black-box run.
                account = data.get("accountName")
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
        ex = self.judge(self.ctx.api.change(account, upgrade_id, body, creds=self._creds(creds), raw=raw,
                                            content_type=content_type, headers=headers))
        if ex.status == 200:
            self._judge_reason_key(ex)
        return ex

    def _judge_reason_key(self, ex: Exchange) -> None:
        """PUT-07 (SHOULD): a reason, where given (and on every failed item), sits under ``Reason``."""
        items = items_of(ex)
        if not items:
            return
        self.ctx.exercised("PUT-07")
        bad = [i for i in items if "Reason" not in i
               and (reason_of(i) is not None or i.get("status") not in PUT_SUCCESS)]
        if bad and self._once("PUT-07", "key"):
            self.ctx.fail("PUT-07", "a PUT result item carries no Reason key",
                          expected="every result item's reason under the key Reason (capital R)",
                          actual=f"item {bad[0]}", exchanges=[ex], severity=Level.SHOULD)

    def details(self, account: str, upgrade_id: str, *, creds: object = ALPHA) -> Exchange:
        return self.judge(self.ctx.api.details(account, upgrade_id, creds=self._creds(creds)))

    def cancel(self, account: str, upgrade_id: str, *, creds: object = ALPHA) -> Exchange:
        return self.judge(self.ctx.api.cancel(account, upgrade_id, creds=self._creds(creds)))

    # --- observations ----------------------------------------------------------------------------
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

    def create(self, *, n: int = 2, cred: Credential | None = None, account_name: str | None = None,
               firmware: Firmware | None = None) -> Campaign:
        """Schedule a fresh valid campaign (of alpha's account unless told otherwise)."""
        ctx = self.ctx
        cred = cred or ctx.alpha
        acc = ctx.world.account(account_name) if account_name else ctx.account
        if acc is None:
            raise SetupFailed(f"account {account_name} is not in the world")
        fw = firmware or (ctx.firmware if acc is ctx.account else max(
            acc.firmware, key=lambda f: sum(d.fits(f) for d in acc.devices), default=None))
        if fw is None:
            raise NotEnoughDevices(f"account {acc.name} has no firmware")
        start = ctx.start_date()
        body = {"accountName": acc.name, "firmwareName": fw.name, "firmwareTo": fw.to_version,
                "startDate": start.isoformat(), "deviceList": ctx.devices(n, firmware=fw, account=acc)}
        ex = self.schedule(body, creds=cred)
        data = ex.data
        if ex.status != 200 or not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise SetupFailed(f"could not create a campaign to test on: POST /upgrades answered {ex.outcome()}")
        return Campaign(acc.name, data["id"], cred, body, start)


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
        if status in ("RequestPending", "Queued"):
            return shared[account]
    campaign = calls.create(n=n, cred=cred, account_name=account)
    shared[account] = campaign
    return campaign


# --- the request-validity oracle --------------------------------------------------------------------

def _is_date(value: object) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def schedule_validity(world: World, cred: Credential | None, body: object, today: date) -> str:
    """Classify a schedule request by the rules (docs/rules.md#terms): ``"valid"``, ``"past-start"`` (valid but for a
    startDate before today: 200 or 400 both allowed), ``"structural"`` (POST-03: 400),
    ``"semantic"`` (POST-04: 400, or 200 RequestPending that fails later), ``"foreign"`` (AUTH-04:
    4xx) or ``"auth"`` (no or bad credentials: 400/401)."""
    if cred is None:
        return "auth"
    if not isinstance(body, dict):
        return "structural"
    required = ("accountName", "firmwareName", "startDate", "deviceList")
    if any(k not in body for k in required):
        return "structural"
    for key in ("accountName", "firmwareName", "startDate", "endDate", "firmwareTo"):
        if key in body and not isinstance(body[key], str):
            return "structural"
    devices = body["deviceList"]
    if not isinstance(devices, list) or not devices or not all(isinstance(d, str) for d in devices):
        return "structural"
    start = _is_date(body["startDate"])
    end = _is_date(body["endDate"]) if "endDate" in body else None
    if start is None or ("endDate" in body and end is None):
        return "structural"
    if body["accountName"] not in cred.accounts:
        return "foreign"
    acc = world.account(body["accountName"])
    fw = acc.find_firmware(body["firmwareName"]) if acc else None
    if acc is None or fw is None or len(set(devices)) != len(devices):
        return "semantic"
    if any((d := acc.find_device(i)) is None or not d.fits(fw) for i in devices):
        return "semantic"
    if (end is not None and end < start) or body.get("firmwareTo", fw.to_version) != fw.to_version:
        return "semantic"
    return "past-start" if start < today else "valid"
