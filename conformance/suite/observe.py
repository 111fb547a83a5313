"""Observing campaigns: reading a status, judging it against LIFE-01/02, and moving the clock.

The lifecycle checks (deterministic scenarios, polling, the stateful model) all watch campaigns the
same way: every GET goes through a ``Tracker``, which remembers the last status seen per campaign,
reports LIFE-01 (one of six) and LIFE-02 (an allowed change; terminal never changes) on every
observation, and feeds ``ctx.observe_edge`` so that the report can draw what the target really did.
Keeping this in one place means no check can forget to judge a status it happened to see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from conformance.spec.lifecycle import TERMINAL, Status, is_allowed_change, midnight
from conformance.spec.world import Credential, format_instant
from conformance.suite.context import ControlError, Ctx
from conformance.suite.http import Exchange

__all__ = [
    "STATUSES",
    "Campaign",
    "Tracker",
    "device_ids",
    "error_response",
    "item_statuses",
    "move_clock",
    "schedule",
    "start_of",
]

STATUSES: frozenset[str] = frozenset(s.value for s in Status)
#: GET answers that mean "this target has no GET details operation" (not a lifecycle finding).
NO_GET = frozenset({404, 405, 501})


def error_response(ex: Exchange, *, statuses: Iterable[int] | None = None) -> bool:
    """An "error response" (docs/rules.md#terms): a 4xx JSON body with non-empty errorCode and errorMessage
    (the gateway's ``fault`` body is allowed for 401). ``statuses`` narrows the 4xx range."""
    if ex.status is None or not 400 <= ex.status < 500:
        return False
    if statuses is not None and ex.status not in set(statuses):
        return False
    data = ex.data
    if not isinstance(data, dict) or not ex.content_type.startswith("application/json"):
        return False
    if ex.status == 401 and isinstance(data.get("fault"), dict):
        return True
    return all(isinstance(data.get(k), str) and data.get(k) for k in ("errorCode", "errorMessage"))


def device_ids(data: Any) -> list[str] | None:
    """The deviceId of every item of a FirmwareUpgrade's deviceList (None when it has no list)."""
    if not isinstance(data, dict) or not isinstance(data.get("deviceList"), list):
        return None
    return [str(item.get("deviceId")) for item in data["deviceList"] if isinstance(item, dict)]


def item_statuses(ex: Exchange) -> dict[str, str]:
    """deviceId → item status of a PUT/GET answer ({} when the body has no such items)."""
    data = ex.data
    if not isinstance(data, dict) or not isinstance(data.get("deviceList"), list):
        return {}
    return {str(i.get("deviceId")): str(i.get("status")) for i in data["deviceList"] if isinstance(i, dict)}


def start_of(day: date | str) -> datetime:
    """startDate 00:00:00Z, the instant LIFE-03 and the SIM-04 timing are about."""
    return midnight(date.fromisoformat(day) if isinstance(day, str) else day)


def move_clock(ctx: Ctx, now: datetime) -> Exchange:
    """PUT /__control/clock to ``now``; a refusal of a forward (or equal) move ends the check.

    Refusals of earlier times are SIM-02's own business (it calls ``set_clock`` directly)."""
    assert ctx.control is not None
    ex = ctx.control.set_clock(now)
    if ex.status != 200:
        raise ControlError(f"PUT /__control/clock {format_instant(now)} answered {ex.outcome()}")
    return ex


@dataclass
class Campaign:
    """One upgrade the check created: what it was created with, for later GET/PUT/DELETE."""

    id: str
    account: str
    creds: Credential
    body: dict[str, Any]
    created: Exchange
    devices: list[str] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return start_of(str(self.body["startDate"]))


def schedule(ctx: Ctx, body: dict[str, Any], *, creds: Credential | None = None) -> tuple[Exchange, Campaign | None]:
    """POST the body; a Campaign when the target accepted it (200 with a string id)."""
    cred = creds or ctx.alpha
    ex = ctx.api.schedule(body, creds=cred)
    data = ex.data
    if ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str):
        devices = [str(d) for d in body.get("deviceList", [])]
        return ex, Campaign(data["id"], str(body["accountName"]), cred, dict(body), ex, devices)
    return ex, None


class Tracker:
    """Every status observation goes through here; it judges LIFE-01 and LIFE-02 as it goes."""

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

    def get(self, c: Campaign) -> tuple[Exchange, str | None]:
        """GET the campaign; returns the exchange and its status (None when there is none)."""
        ex = self.ctx.api.details(c.account, c.id, creds=c.creds)
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


def later(day: date, *, days: int = 0, seconds: int = 0) -> datetime:
    return start_of(day) + timedelta(days=days, seconds=seconds)
