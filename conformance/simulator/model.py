"""The reference simulator's behaviour: a pure, thread-safe, deterministic model of FOTA v1.

No HTTP here. ``Simulator`` holds the world, the clock and the campaigns behind one lock, and
decides everything a request can lead to: who is authenticated (AUTH), whether a request is valid
(POST, PUT), what a campaign looks like (LIFE) and how moving the clock moves it (SIM-04, via
``timeline``). The HTTP adapter (``app``) only turns requests into calls and ``ApiError`` or the
returned dicts into answers, so the model can be tested on its own, e.g. by a Hypothesis state
machine.

Determinism (SIM-03): nothing depends on wall time unless ``realtime`` is asked for; upgrade ids
come from a per-process counter, so a fresh process given the same world and the same requests
issues the same ids, and no id is ever issued twice in a process, whatever worlds are loaded
(POST-02).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from conformance.simulator.campaign import (
    ADD_FAILED,
    ADD_OK,
    DEVICE_ACCEPTED,
    DEVICE_FAILED,
    DEVICE_REJECTED,
    REMOVE_FAILED,
    REMOVE_OK,
    Campaign,
    DeviceState,
    ScheduleRequest,
    campaign_json,
    change_item,
)
from conformance.simulator.errors import ApiError, bad_request, gateway_fault, invalid
from conformance.simulator.profile import Profile
from conformance.simulator.semantics import device_problem, schedule_problems
from conformance.simulator.timeline import Timing, decide, due_at, fire, shift
from conformance.spec.lifecycle import OPEN, Status
from conformance.spec.world import Account, Credential, World, default_world

__all__ = ["CampaignSnapshot", "ChangeKind", "Simulator", "format_now"]

ChangeKind = Literal["append", "remove"]

#: How long the faulty append of put01-lost-concurrent-appends spends between its read and write.
RACE_WINDOW = 0.05

_ID_LOCK = threading.Lock()
_ID_COUNTER = itertools.count(1)
_FAULT_NAMESPACE = uuid.UUID("5b0c8f4e-7a55-4a53-9e55-0f07a1c0de01")


def _issue_id() -> str:
    """A fresh upgrade id: a version-4-shaped UUID hashed from a process-wide counter.

    The counter is module-global so that no world reload and no second simulator in the same
    process can ever issue an id again (POST-02), yet the n-th id of a fresh process is always the
    same (the answers of a scripted session are reproducible).
    """
    with _ID_LOCK:
        n = next(_ID_COUNTER)
    digest = hashlib.sha256(f"fota-simulator/upgrade/{n}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _request_derived_id(req: ScheduleRequest) -> str:
    key = json.dumps([req.account, req.firmware_name, req.start_date.isoformat(), list(req.devices)])
    return str(uuid.uuid5(_FAULT_NAMESPACE, key))


def format_now(instant: datetime) -> str:
    """RFC 3339 UTC with a Z; keeps sub-seconds when there are any, so the clock reads back exactly."""
    pattern = "%Y-%m-%dT%H:%M:%S.%fZ" if instant.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return instant.astimezone(UTC).strftime(pattern)


def _canonical_id(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except (ValueError, AttributeError, TypeError):
        return None


_MISSING_BEARER = ("900902", "Missing Credentials",
                   'Required OAuth credentials not provided. Make sure your API invocation call has a '
                   'header: "Authorization: Bearer ACCESS_TOKEN"')
_INVALID_BEARER = ("900901", "Invalid Credentials",
                   "Access failure for API: /api/fota/v1, version: v1. "
                   "Make sure you have given the correct access token")


@dataclass(frozen=True, slots=True)
class CampaignSnapshot:
    """A read-only view of one campaign, for tests and tools (not an API answer)."""

    id: str
    account: str
    status: Status
    start_date: date
    devices: tuple[str, ...]
    valid: bool
    cancelled: bool


@dataclass(slots=True)
class _ChangePlan:
    campaign: Campaign
    body: dict[str, Any]
    added: list[str]
    removed: list[str]


class Simulator:
    """The FOTA v1 service: world, clock and campaigns, with every decision of the rules (docs/rules.md)."""

    def __init__(self, world: World | None = None, *, profile: Profile | None = None, realtime: bool = False,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.RLock()
        self._profile = profile or Profile()
        self._realtime = realtime
        self._monotonic = monotonic
        self._seq = itertools.count()
        self._moves = 0  # forward clock moves over the simulator's life; never reset
        self._loads = 0
        self._campaigns: dict[str, Campaign] = {}
        self.load_world(world if world is not None else default_world())

    @property
    def profile(self) -> Profile:
        return self._profile

    @property
    def world(self) -> World:
        with self._lock:
            return self._world

    # --- the control plane (docs/simulator-contract.md) -------------------------------------

    def load_world(self, world: World) -> None:
        """SIM-01: the world's accounts and credentials, no upgrades, the clock at ``world.now``."""
        with self._lock:
            self._world = world
            # An account that only a credential names holds nothing, but exists (docs/simulator-contract.md#the-world).
            named = {name: Account(name) for cred in world.credentials for name in cred.accounts}
            self._accounts = {**named, **{a.name: a for a in world.accounts}}
            self._devices = {d.imei: d for a in world.accounts for d in a.devices}
            self._versions = {imei: d.firmware for imei, d in self._devices.items()}
            self._now = world.now
            self._anchor = (world.now, self._monotonic())
            self._loads += 1
            self._timing = Timing.for_load(self._profile, self._loads)
            # FAULT sim01-reset-keeps-campaigns: the old upgrades survive the new world (SIM-01).
            if not self._profile.fault("sim01-reset-keeps-campaigns"):
                self._campaigns = {}

    def now(self) -> datetime:
        with self._lock:
            self._tick()
            return self._now

    def set_clock(self, instant: datetime) -> datetime:
        """SIM-02: move forward, applying every transition due by then; earlier is a 400."""
        with self._lock:
            self._tick()
            if instant < self._now:
                if not self._profile.fault("sim02-clock-backwards"):
                    raise bad_request("Control.INPUT_INVALID.ClockBackwards",
                                      f"now: {format_now(instant)} is earlier than the simulator's clock "
                                      f"{format_now(self._now)}; the clock only moves forward")
                # FAULT sim02-clock-backwards: time runs back; nothing is undone (SIM-02).
                self._now = instant
            else:
                self._advance(instant)
            self._anchor = (self._now, self._monotonic())
            return self._now

    def _tick(self) -> None:
        """Under ``realtime``, follow wall time from the last time the clock was set."""
        if self._realtime:
            base, at = self._anchor
            self._advance(shift(base, timedelta(seconds=max(0.0, self._monotonic() - at))))

    def _reachable(self, imei: str) -> bool:
        device = self._devices.get(imei)
        return device is not None and device.reachable

    def _advance(self, instant: datetime) -> None:
        if instant <= self._now:
            return  # not a forward move: decides nothing (the contract: decided when the clock "next moves forward")
        previous, self._now = self._now, instant
        self._moves += 1
        # FAULT sim04-decide-late: a campaign waits for a second move to be decided (SIM-04).
        wait = 2 if self._profile.fault("sim04-decide-late") else 1
        for c in self._campaigns.values():
            if c.status is Status.REQUEST_PENDING and not c.cancelled and self._moves - c.created_move >= wait:
                decide(c)
        # FAULT sim02-lazy-transitions: timed transitions lag one move behind the clock (SIM-02).
        horizon = previous if self._profile.fault("sim02-lazy-transitions") else instant
        self._fire_due(horizon)

    def _fire_due(self, horizon: datetime) -> None:
        """Every timed transition due by ``horizon``, in order of instant, then of creation."""
        while True:
            best: tuple[datetime, int, Campaign] | None = None
            for c in self._campaigns.values():
                at = due_at(c, self._timing, self._profile, self._reachable)
                if at is not None and at <= horizon and (best is None or (at, c.seq) < best[:2]):
                    best = (at, c.seq, c)
            if best is None:
                return
            campaign = best[2]
            upgraded = fire(campaign, self._profile, self._reachable)
            if upgraded and campaign.firmware is not None and self._profile.variant("firmware-updates"):
                for imei in upgraded:
                    self._versions[imei] = campaign.firmware.to_version

    # --- credentials (AUTH) ------------------------------------------------------------------

    def authenticate(self, authorization: str | None, m2m_token: str | None) -> Credential:
        """AUTH-01..03: the credential entry that both tokens belong to, or the refusal."""
        with self._lock:
            creds = self._world.credentials
            bearer = _bearer_token(authorization)
            if bearer is None:
                if authorization is None and self._profile.fault("auth01-bearer-optional"):
                    # FAULT auth01-bearer-optional: the session token alone is let in (AUTH-01).
                    match = next((c for c in creds if c.m2m == m2m_token), None)
                    if match is not None:
                        return match
                raise self._unauthorized(*_MISSING_BEARER, "Authorization: no Bearer token was sent")
            candidates = [c for c in creds if c.bearer == bearer]
            if not candidates:
                if not self._profile.fault("auth02-any-bearer"):
                    raise self._unauthorized(*_INVALID_BEARER, "Authorization: the Bearer token is not valid")
                # FAULT auth02-any-bearer: the bearer is never looked up; the session token decides (AUTH-02).
                candidates = list(creds)
            if self._profile.fault("auth03-m2m-ignored"):
                # FAULT auth03-m2m-ignored: VZ-M2M-Token is never checked (AUTH-03).
                return candidates[0]
            if not m2m_token:
                raise self._session_error("UnifiedWebService.REQUEST_FAILED.SessionToken.Missing",
                                          "VZ-M2M-Token: the header is missing; send the sessionToken "
                                          "of POST /m2m/v1/session/login")
            match = next((c for c in candidates if c.m2m == m2m_token), None)
            if match is None and self._profile.fault("auth03-m2m-case-insensitive"):
                # FAULT auth03-m2m-case-insensitive: the session token is compared ignoring case (AUTH-03).
                match = next((c for c in candidates if c.m2m.casefold() == m2m_token.casefold()), None)
            if match is None:
                raise self._session_error("UnifiedWebService.REQUEST_FAILED.SessionToken.Expired",
                                          "VZ-M2M-Token: The Session has expired.")
            return match

    def _unauthorized(self, code: str, message: str, description: str, plain: str) -> ApiError:
        if self._profile.variant("errorcode-401"):
            detail = "MissingCredentials" if code == _MISSING_BEARER[0] else "InvalidCredentials"
            return bad_request(f"UnifiedWebService.AUTHENTICATION_FAILED.{detail}", plain, status=401)
        return gateway_fault(code, message, description)

    def _session_error(self, code: str, message: str) -> ApiError:
        return bad_request(code, message, status=401 if self._profile.variant("m2m-401") else 400)

    def _authorize(self, cred: Credential, account_name: str) -> Account:
        """AUTH-04: credentials reach only their own accounts; others look exactly like unknown ones."""
        account = self._accounts.get(account_name)
        # FAULT auth04-no-isolation: any valid credentials work on every account (AUTH-04).
        covered = account_name in cred.accounts or self._profile.fault("auth04-no-isolation")
        if account is None or not covered:
            raise bad_request("UnifiedWebService.REQUEST_FAILED.AccountNotFound",
                              "accountName: the account does not exist or is not accessible with "
                              "these credentials")
        return account

    def _lookup(self, account: str, upgrade_id: str) -> Campaign | None:
        key = _canonical_id(upgrade_id)
        c = self._campaigns.get(key) if key is not None else None
        # Another account's upgrade is indistinguishable from one never issued (AUTH-04, PUT-05).
        return c if c is not None and c.account == account else None

    def _unknown_upgrade(self) -> ApiError:
        status = 404 if self._profile.variant("unknown-id-404") else 400
        return bad_request("FotaService.REQUEST_FAILED.UpgradeNotFound",
                           "upgradeId: no upgrade with this id exists for this account", status=status)

    def _find(self, account: str, upgrade_id: str) -> Campaign:
        c = self._lookup(account, upgrade_id)
        if c is None:
            raise self._unknown_upgrade()
        return c

    # --- POST /upgrades ----------------------------------------------------------------------

    def schedule(self, cred: Credential, req: ScheduleRequest) -> dict[str, Any]:
        """POST-01..04: accept as RequestPending (deciding later), or refuse at once."""
        with self._lock:
            self._tick()
            account = self._authorize(cred, req.account)
            today = self._now.date()
            if req.start_date < today and self._profile.variant("past-start-refused"):
                raise invalid("startDate", f"{req.start_date.isoformat()} is before today "
                                           f"({today.isoformat()})")
            problems = schedule_problems(req, account, self._versions, self._profile)
            if problems and self._profile.variant("sync-refusal"):
                first = problems[0]
                raise invalid(first.field, f"{first.imei!r} {first.reason}" if first.imei else first.reason)
            firmware = account.find_firmware(req.firmware_name)
            rejections: dict[str, str] = {}
            for p in problems:
                if p.imei is not None:
                    rejections.setdefault(p.imei, p.reason)
            failure = next((f"{p.field}: {p.reason}" for p in problems if p.imei is None), None)
            # FAULT post02-repeat-id: the id is a hash of the request, so equal requests share it (POST-02).
            upgrade_id = _request_derived_id(req) if self._profile.fault("post02-repeat-id") else _issue_id()
            campaign = Campaign(
                id=upgrade_id, seq=next(self._seq), account=account.name, firmware_name=req.firmware_name,
                firmware=firmware,
                firmware_to=firmware.to_version if firmware is not None else (req.firmware_to or ""),
                start_date=req.start_date, end_date=req.end_date, created_move=self._moves,
                failure=failure, rejections=rejections,
                devices={imei: DeviceState() for imei in req.devices},
            )
            self._campaigns[upgrade_id] = campaign
            body = campaign_json(campaign, self._profile)
            if campaign.valid and self._profile.fault("post01-queued-at-once"):
                # FAULT post01-queued-at-once: the answer skips RequestPending (POST-01).
                body["status"] = Status.QUEUED.value
            if self._profile.fault("post01-start-date-shifted"):
                # FAULT post01-start-date-shifted: an off-by-one in the echoed startDate (POST-01).
                body["startDate"] = shift(datetime.combine(req.start_date, datetime.min.time()),
                                          timedelta(days=1)).date().isoformat()
            return body

    # --- PUT …/upgrade/{upgradeId} -----------------------------------------------------------

    def change(self, cred: Credential, account: str, upgrade_id: str, kind: ChangeKind,
               imeis: Sequence[str]) -> dict[str, Any]:
        """PUT-01..05: append or remove devices of an open campaign, one result item per device."""
        racy = kind == "append" and self._profile.fault("put01-lost-concurrent-appends")
        with self._lock:
            self._tick()
            acct = self._authorize(cred, account)
            campaign = self._lookup(account, upgrade_id)
            if campaign is None:
                never_issued = self._campaigns.get(_canonical_id(upgrade_id) or "") is None
                if never_issued and self._profile.fault("put05-unknown-id-200"):
                    # FAULT put05-unknown-id-200: an id never issued "succeeds" with nothing in it
                    # (PUT-05). Another account's id is still refused, so AUTH-04 stays intact.
                    return {"accountName": account, "id": upgrade_id, "deviceList": []}
                raise self._unknown_upgrade()
            self._ensure_changeable(campaign)
            plan = self._plan_change(campaign, acct, kind, imeis)
            if not racy:
                self._commit(plan, campaign.devices)
                return plan.body
            snapshot = dict(campaign.devices)
        # FAULT put01-lost-concurrent-appends: a slow read-modify-write whose write happens outside
        # the lock, so appends running at the same time overwrite each other's devices (PUT-01).
        time.sleep(RACE_WINDOW)
        with self._lock:
            campaign.devices = snapshot
            self._commit(plan, snapshot)
        return plan.body

    def _ensure_changeable(self, c: Campaign) -> None:
        if c.cancelled:
            raise bad_request("FotaService.REQUEST_FAILED.UpgradeCancelled",
                              "upgradeId: the upgrade was cancelled; it can no longer be changed")
        # FAULT put04-change-after-start: a started campaign still takes changes (PUT-04).
        started_ok = c.status is Status.IN_PROGRESS and self._profile.fault("put04-change-after-start")
        if c.status not in OPEN and not started_ok:
            raise bad_request("FotaService.REQUEST_FAILED.UpgradeNotModifiable",
                              f"upgradeId: the upgrade is {c.status.value}; devices can only be added "
                              "or removed before it starts")

    def _plan_change(self, c: Campaign, acct: Account, kind: ChangeKind, imeis: Sequence[str]) -> _ChangePlan:
        present = set(c.devices)
        items: list[dict[str, Any]] = []
        added: list[str] = []
        removed: list[str] = []
        refusals: list[tuple[str, str]] = []
        for i, imei in enumerate(imeis):
            if kind == "append":
                reason = device_problem(imei, acct, c.firmware, self._versions)
                # FAULT put03-duplicate-append-succeeds: "already in" looks at the campaign as it was
                # before this request, so a device listed twice is reported added twice (PUT-03).
                known = c.devices if self._profile.fault("put03-duplicate-append-succeeds") else present
                if reason is None and imei in known:
                    if self._profile.fault("put03-false-success"):
                        # FAULT put03-false-success: success reported for a device not added (PUT-03).
                        items.append(change_item(imei, ADD_OK, "Device added Successfully", self._profile))
                        continue
                    reason = "Device is already part of this upgrade."
                if reason is None:
                    present.add(imei)
                    added.append(imei)
                    items.append(change_item(imei, ADD_OK, "Device added Successfully", self._profile))
                    continue
                items.append(change_item(imei, ADD_FAILED, reason, self._profile))
            else:
                if imei in present:
                    present.discard(imei)
                    removed.append(imei)
                    items.append(change_item(imei, REMOVE_OK, "Device removed Successfully", self._profile))
                    continue
                reason = "Device is not part of this upgrade."
                items.append(change_item(imei, REMOVE_FAILED, reason, self._profile))
            refusals.append((f"deviceList[{i}]", f"{imei!r} {reason}"))
        if refusals and self._profile.variant("whole-request-400"):
            raise invalid(*refusals[0])
        body = {"accountName": c.account, "id": c.id, "deviceList": items}
        return _ChangePlan(campaign=c, body=body, added=added, removed=removed)

    def _commit(self, plan: _ChangePlan, devices: dict[str, DeviceState]) -> None:
        c = plan.campaign
        # FAULT put01-append-not-kept: the answer says added, the campaign never hears of it (PUT-01).
        if plan.added and not self._profile.fault("put01-append-not-kept"):
            pending = c.status is Status.REQUEST_PENDING
            for imei in plan.added:
                devices[imei] = DeviceState() if pending else DeviceState(DEVICE_ACCEPTED, "success")
                if imei in c.removed:
                    c.removed.remove(imei)
        # FAULT put02-remove-not-kept: the answer says removed, the device stays (PUT-02).
        if plan.removed and not self._profile.fault("put02-remove-not-kept"):
            for imei in plan.removed:
                del devices[imei]
                c.removed.append(imei)

    # --- GET and DELETE …/upgrade/{upgradeId} ------------------------------------------------

    def details(self, cred: Credential, account: str, upgrade_id: str) -> dict[str, Any]:
        """LIFE-04: the campaign as given at creation, with every append and remove applied."""
        with self._lock:
            self._tick()
            self._authorize(cred, account)
            c = self._find(account, upgrade_id)
            readable = self._profile.variant("cancel-as-failed") or self._profile.variant("cancel-as-request-failed")
            if c.cancelled and not readable:
                raise bad_request("FotaService.REQUEST_FAILED.UpgradeCancelled",
                                  "upgradeId: the upgrade was cancelled")
            return campaign_json(c, self._profile, stale_devices=True)

    def cancel(self, cred: Credential, account: str, upgrade_id: str) -> dict[str, Any]:
        """LIFE-06: an open campaign is cancelled for good; a started or terminal one is refused."""
        with self._lock:
            self._tick()
            self._authorize(cred, account)
            c = self._find(account, upgrade_id)
            if c.cancelled:
                raise bad_request("FotaService.REQUEST_FAILED.UpgradeCancelled",
                                  "upgradeId: the upgrade is already cancelled")
            if c.status is Status.IN_PROGRESS and self._profile.fault("life06-cancel-started"):
                # FAULT life06-cancel-started: the state check is missing, so a running campaign gets
                # the success answer, although nothing can stop it any more (LIFE-06).
                return {"success": True}
            if c.status not in OPEN:
                raise bad_request("FotaService.REQUEST_FAILED.UpgradeNotCancellable",
                                  f"upgradeId: the upgrade is {c.status.value}; only an upgrade that has "
                                  "not started can be cancelled")
            if self._profile.fault("life06-cancel-ignored"):
                # FAULT life06-cancel-ignored: success is answered, nothing is cancelled (LIFE-06).
                return {"success": True}
            c.cancelled = True
            if self._profile.variant("cancel-as-request-failed"):
                # Readable afterwards as RequestFailed whatever it was: a terminal status that is
                # not reached along an edge from Queued, which LIFE-06 allows for a cancellation.
                c.status = Status.REQUEST_FAILED
                c.set_all(DEVICE_REJECTED, "Upgrade cancelled.")
            elif self._profile.variant("cancel-as-failed"):
                # Readable afterwards with a terminal status reached along a LIFE-02 edge.
                if c.status is Status.REQUEST_PENDING:
                    c.status = Status.REQUEST_FAILED
                    c.set_all(DEVICE_REJECTED, "Upgrade cancelled.")
                else:  # Queued
                    c.status = Status.UPGRADE_FAILED
                    c.set_all(DEVICE_FAILED, "Upgrade cancelled.")
            return {"success": True}

    # --- introspection -----------------------------------------------------------------------

    def campaigns(self) -> list[CampaignSnapshot]:
        """Every campaign, oldest first (for tests and tools; the API never lists campaigns)."""
        with self._lock:
            self._tick()
            return [CampaignSnapshot(id=c.id, account=c.account, status=c.status, start_date=c.start_date,
                                     devices=tuple(c.devices), valid=c.valid, cancelled=c.cancelled)
                    for c in sorted(self._campaigns.values(), key=lambda c: c.seq)]


def _bearer_token(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (scheme case-insensitive, RFC 7235), else None."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None

