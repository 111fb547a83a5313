"""The device economy of a black-box run: a handful of test devices, lent to checks in turn.

A target without a control plane (the vendor's API, a simulator without ``/__control``) is never
reset, and a test account holds a few devices, not fifty. A device is therefore lent to one check at
a time and comes back as soon as the suite *knows* it is free:

- the request that named it was refused (a 4xx whole-request refusal, or a failed per-device item):
  the device is still the check's, and goes back to the pool when the check ends;
- the campaign holding it was cancelled: DELETE answered success and a later read (with the owner's
  credentials) shows it gone (a 4xx), terminal, or no longer listing the device; a campaign the
  target ended by itself (terminal, e.g. a semantically invalid request decided ``RequestFailed``)
  gives its devices back the same way;
- it was removed from its campaign: ``remove`` answered success and a later read no longer lists it.

Anything the suite cannot be sure of keeps the device out of the pool for the rest of the run: an
answer that is neither a success nor a refusal (5xx, no answer, a 200 without an id) may have put
the device in a campaign the suite does not know of. So the suite never has one device in two open
campaigns and never touches a device outside the world (the pool only lends the world's devices).

Between checks the runner ``recycle``s: every campaign of the run is cancelled and read back, except
the shared open campaigns that PUT/AUTH/WIRE checks test on (``keep``), which are trimmed to one
device instead. The pool keeps the numbers the report shows (how often devices were lent and came
back, how many were held at most, which are lost for the run).

Every method is thread-safe: concurrent appends report through the same hooks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.spec.lifecycle import TERMINAL
from conformance.spec.world import Credential, World

__all__ = ["CampaignKey", "Pool"]

#: (account name, upgrade id) — how the pool names a campaign.
CampaignKey = tuple[str, str]

_TERMINAL = frozenset(s.value for s in TERMINAL)
_FAILED_ITEM = ("fail", "reject", "invalid", "error")


class _Exchange(Protocol):  # the part of http.Exchange the pool reads
    @property
    def status(self) -> int | None: ...

    @property
    def data(self) -> Any: ...


class _Api(Protocol):  # the part of context.Api the pool uses to give devices back
    def details(self, account: str, upgrade_id: str, *, creds: Credential | None) -> Any: ...

    def cancel(self, account: str, upgrade_id: str, *, creds: Credential | None) -> Any: ...

    def change(self, account: str, upgrade_id: str, body: Any = None, *, creds: Credential | None) -> Any: ...


@dataclass
class _Campaign:
    key: CampaignKey
    cred: Credential | None
    devices: set[str] = field(default_factory=set)
    #: Devices whose removal the target confirmed in a PUT answer; freed once a read agrees.
    removing: set[str] = field(default_factory=set)
    cancel_claimed: bool = False
    #: Gone or terminal, as a read showed: holds no device any more.
    closed: bool = False
    #: A shared open campaign: trimmed between checks, not cancelled.
    kept: bool = False
    #: Recycling could not release it (cancel refused or not confirmed): not retried between checks.
    stuck: bool = False


def _ok(ex: _Exchange) -> bool:
    return ex.status is not None and 200 <= ex.status < 300


def _refused(ex: _Exchange) -> bool:
    return ex.status is not None and 400 <= ex.status < 500


def _items(data: Any) -> dict[str, str] | None:
    if not isinstance(data, dict) or not isinstance(data.get("deviceList"), list):
        return None
    return {str(i.get("deviceId")): str(i.get("status", "")) for i in data["deviceList"] if isinstance(i, dict)}


def _failed(status: str) -> bool:
    return any(word in status.lower() for word in _FAILED_ITEM)


class Pool:
    """The world's devices, lent to one check at a time (see the module docstring)."""

    def __init__(self, world: World) -> None:
        self._lock = threading.RLock()
        self._world = world
        self._known = {d.imei for a in world.accounts for d in a.devices}
        self._lent: dict[str, str] = {}
        self._lost: dict[str, str] = {}
        self._campaigns: dict[CampaignKey, _Campaign] = {}
        self.lends = 0
        self.returns = 0
        self.max_in_use = 0
        #: Rule → how hard a check scaled down to the pool looked (the report's coverage extent).
        self.extent: dict[str, str] = {}
        #: Set once a campaign stayed RequestPending for a whole --poll-total: a target that does
        #: not decide then will not decide later either, and later polls wait one interval only.
        self.undecided = False

    # --- lending -----------------------------------------------------------------------------------
    def _holders(self, imei: str) -> list[_Campaign]:
        return [c for c in self._campaigns.values() if not c.closed and imei in c.devices]

    def is_free(self, imei: str) -> bool:
        with self._lock:
            return imei not in self._lent and imei not in self._lost and not self._holders(imei)

    def held(self, imei: str) -> bool:
        """Some open campaign of this run may hold the device."""
        with self._lock:
            return bool(self._holders(imei)) or imei in self._lost

    def free_count(self, imeis: Iterable[str]) -> int:
        with self._lock:
            return sum(1 for imei in imeis if imei in self._known and self.is_free(imei))

    def busy(self) -> set[str]:
        """Every world device that is not free now."""
        with self._lock:
            return {imei for imei in self._known if not self.is_free(imei)}

    def take(self, candidates: Sequence[str], n: int, holder: str) -> list[str] | None:
        """Lend ``n`` free devices of ``candidates`` (in that order) to ``holder``; None if too few."""
        with self._lock:
            free = [imei for imei in candidates if imei in self._known and self.is_free(imei)]
            if len(free) < n:
                return None
            for imei in free[:n]:
                self._lent[imei] = holder
            self.lends += n
            self.max_in_use = max(self.max_in_use, len(self.busy()))
            return free[:n]

    def give_back(self, holder: str) -> set[str]:
        """The check ``holder`` is done: what it was lent and no campaign holds comes back."""
        with self._lock:
            mine = {imei for imei, h in self._lent.items() if h == holder}
            for imei in mine:
                del self._lent[imei]
            back = {imei for imei in mine if self.is_free(imei)}
            self.returns += len(back)
            return back

    # --- what the target said (called by Api after every operation) --------------------------------
    def _campaign(self, account: str, upgrade_id: str, cred: Credential | None) -> _Campaign:
        key = (account, upgrade_id)
        if key not in self._campaigns:
            owner = cred or self._world.credential_for(account)
            self._campaigns[key] = _Campaign(key, owner)
        return self._campaigns[key]

    def _hold(self, c: _Campaign, imeis: Iterable[str]) -> None:
        for imei in imeis:
            if imei in self._known:
                c.devices.add(imei)
                c.removing.discard(imei)
                self._lent.pop(imei, None)
        self.max_in_use = max(self.max_in_use, len(self.busy()))

    def _lose(self, imeis: Iterable[str], why: str) -> None:
        for imei in imeis:
            if imei in self._known:
                self._lost.setdefault(imei, why)

    def after_schedule(self, body: Any, ex: _Exchange, cred: Credential | None) -> None:
        devices = [d for d in (body.get("deviceList") or body.get("devicelist") or [])
                   if isinstance(d, str)] if isinstance(body, dict) else []
        data = ex.data
        with self._lock:
            if ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str):
                account = data.get("accountName") if isinstance(data.get("accountName"), str) else None
                account = account or (str(body.get("accountName")) if isinstance(body, dict) else "")
                self._hold(self._campaign(account, data["id"], cred), devices)
            elif not _refused(ex):
                self._lose(devices, f"POST /upgrades answered {ex.status}: a campaign may hold it")

    def after_change(self, account: str, upgrade_id: str, body: Any, ex: _Exchange) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("deviceList"), list):
            return
        devices = [d for d in body["deviceList"] if isinstance(d, str)]
        # Anything but a remove may have added them: a target that takes "add" or no type at all
        # for an append (a PUT-06 fault) must not get the same device handed out again.
        adds = body.get("type") != "remove"
        with self._lock:
            if _refused(ex):
                return
            if ex.status != 200:
                if adds:
                    self._lose(devices, f"PUT answered {ex.status}: a campaign may hold it")
                return
            c = self._campaign(account, upgrade_id, None)
            items = _items(ex.data)
            if adds:
                # Held unless the answer says this device failed: when in doubt, it is in.
                self._hold(c, [d for d in devices if items is None or not _failed(items.get(d, ""))])
            else:
                c.removing.update(d for d in devices if items is not None and d in items
                                  and not _failed(items[d]))

    def after_cancel(self, account: str, upgrade_id: str, ex: _Exchange) -> None:
        with self._lock:
            c = self._campaigns.get((account, upgrade_id))
            if c is not None and _ok(ex):
                c.cancel_claimed = True

    def after_read(self, account: str, upgrade_id: str, ex: _Exchange, cred: Credential | None) -> None:
        with self._lock:
            c = self._campaigns.get((account, upgrade_id))
            if c is None or c.closed or cred is None or c.cred is None or cred.bearer != c.cred.bearer:
                return  # only the owner's reads say something about the campaign
            data = ex.data
            status = data.get("status") if ex.status == 200 and isinstance(data, dict) else None
            if (c.cancel_claimed and _refused(ex)) or status in _TERMINAL:
                self.returns += len(c.devices)
                c.closed = True
                return
            listed = _items(data) if ex.status == 200 else None
            if listed is not None and c.cancel_claimed:
                # Cancelled, and the target's own list of the campaign's devices lacks these: it
                # says it does not hold them (a stateless mock answers with devices of its own).
                gone = c.devices - set(listed)
                c.devices -= gone
                self.returns += len(gone)
            if listed is not None and c.removing:
                gone = {d for d in c.removing if d not in listed}
                c.devices -= gone
                c.removing -= gone
                self.returns += len(gone)

    # --- recycling between checks ------------------------------------------------------------------
    def keep(self, account: str, upgrade_id: str) -> None:
        with self._lock:
            c = self._campaigns.get((account, upgrade_id))
            if c is not None:
                c.kept = True

    def is_cancelled(self, key: CampaignKey) -> bool:
        with self._lock:
            c = self._campaigns.get(key)
            return c is not None and (c.closed or c.cancel_claimed)

    def recycle(self, api: _Api, *, trim_kept: bool = True, everything: bool = False,
                stop: Callable[[], bool] | None = None) -> set[str]:
        """Get devices back from the run's campaigns: cancel (and read back) every open one that is
        not kept, trim each kept one to one device (or cancel it when ``everything``). Returns the
        devices that came back."""
        with self._lock:
            before = self.busy()
            todo = [c for c in self._campaigns.values() if not c.closed and not c.stuck]
        for c in todo:
            if stop is not None and stop():
                break
            account, uid = c.key
            if c.kept and not everything:
                if trim_kept and len(c.devices) > 1:
                    self._trim(api, c)
                continue
            if not c.cancel_claimed:
                api.cancel(account, uid, creds=c.cred)
            api.details(account, uid, creds=c.cred)
            if not c.closed and c.devices:
                # DELETE refused, or answered success yet the campaign still holds them: ask the
                # target to remove them, and believe it only when a read agrees.
                self._remove(api, c, sorted(c.devices))
            with self._lock:
                if not c.closed:
                    c.stuck = True  # left to the final cleanup
        with self._lock:
            return before - self.busy()

    def _trim(self, api: _Api, c: _Campaign) -> None:
        """A kept campaign back to one device; when the target will not let go of the others,
        it is cancelled instead (and the next check that needs one opens a new one)."""
        account, uid = c.key
        ex = api.details(account, uid, creds=c.cred)
        listed = list((_items(ex.data) or {}).keys()) if ex.status == 200 else []
        keep = next((d for d in listed if d in c.devices), None)
        extra = sorted(d for d in c.devices if d != keep)
        if extra and not self._remove(api, c, extra):
            with self._lock:
                c.kept = False
            api.cancel(account, uid, creds=c.cred)
            api.details(account, uid, creds=c.cred)

    def _remove(self, api: _Api, c: _Campaign, devices: list[str]) -> bool:
        """PUT remove ``devices``, then read: the ones the read does not list are free (the target
        said so twice). True when every one came back."""
        account, uid = c.key
        api.change(account, uid, {"type": "remove", "deviceList": devices}, creds=c.cred)
        ex = api.details(account, uid, creds=c.cred)
        listed = _items(ex.data) if ex.status == 200 else None
        with self._lock:
            if c.closed:
                return True
            if listed is None:
                return False
            gone = {d for d in devices if d in c.devices and d not in listed}
            c.devices -= gone
            c.removing -= gone
            self.returns += len(gone)
            return not (set(devices) & c.devices)

    # --- the report --------------------------------------------------------------------------------
    def campaigns_open(self) -> list[CampaignKey]:
        with self._lock:
            return [c.key for c in self._campaigns.values() if not c.closed and not c.cancel_claimed]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {"devices": len(self._known), "lends": self.lends, "returns": self.returns,
                    "max_in_use": self.max_in_use, "lost": dict(sorted(self._lost.items())),
                    "held_at_end": sorted(self.busy() - set(self._lent))}

    def scaled(self, rule_id: str, text: str) -> None:
        """Say in the report how hard a check that wanted more devices than the pool has looked."""
        with self._lock:
            self.extent[rule_id] = text
