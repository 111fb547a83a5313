"""What a check gets to work with: ``Ctx`` — the API operations (``ctx.calls``, every answer judged),
the control plane (or None), the world in force, a pool of unused devices, the safety ledger and the
results collector.

Checks are plain functions ``def check_x(ctx: Ctx) -> None`` registered with
``conformance.suite.registry.check``; everything they may need from the target is here, so that a
check reads like the rule it enforces. ``Api`` is the raw send path underneath ``ctx.calls``: only
the toolkit and the runner's clean-up use it, so that no answer escapes the universal judge.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from conformance.spec.rules import Level
from conformance.spec.world import Account, Credential, Firmware, World, default_world, parse_instant
from conformance.suite.http import Client, Exchange
from conformance.suite.pool import Pool
from conformance.suite.results import Results

if TYPE_CHECKING:
    from conformance.suite.toolkit import Calls

__all__ = [
    "SUITE_NOW",
    "Api",
    "BudgetExhausted",
    "ControlError",
    "ControlPlane",
    "Ctx",
    "Ledger",
    "NotEnoughDevices",
    "Settings",
    "suite_world",
]

#: The instant of the world the suite loads through the control plane (the example `now` of docs/simulator-contract.md).
SUITE_NOW = datetime(2026, 3, 1, tzinfo=UTC)


def suite_world() -> World:
    return default_world(now=SUITE_NOW)


class ControlError(Exception):
    """The control plane answered something the contract does not allow; the run cannot go on."""


class BudgetExhausted(Exception):
    """The per-run cap on created campaigns (docs/simulator-contract.md#safety) is reached; the check is skipped."""


class NotEnoughDevices(Exception):
    """The world has too few suitable devices left for this check; the check is skipped."""


@dataclass(frozen=True, slots=True)
class Settings:
    timeout: float = 10.0
    seed: int = 0
    #: Black-box safety (docs/simulator-contract.md#safety): at most this many campaigns created per run …
    max_campaigns: int = 30
    #: … each with a startDate at least this many days ahead of the target's today.
    min_lead_days: int = 30
    #: Lifecycle observation without a control plane: poll GET this often, for at most this long.
    #: A real target decides RequestPending in seconds to minutes; polling stops as soon as every
    #: watched campaign is decided, so a fast target costs no more than it needs.
    poll_interval: float = 5.0
    poll_total: float = 180.0
    #: Hypothesis examples per operation and generation mode in the schema exploration.
    examples: int = 25
    #: Steps per run of the stateful (model-based) lifecycle exploration.
    stateful_steps: int = 25
    #: How much input exploration: quick, default or thorough (conformance.suite.depth).
    depth: str = "default"


class ControlPlane:
    """The control plane of docs/simulator-contract.md, exactly its three calls: the suite must need
    nothing more of a simulator."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @staticmethod
    def answers_probe(ex: Exchange) -> bool:
        """The contract: a 200 to GET /__control/clock means "control plane present"."""
        return ex.status == 200 and isinstance(ex.data, dict) and "now" in ex.data

    def now(self) -> datetime:
        ex = self.client.send("GET", "/__control/clock", content_type=None)
        if ex.status != 200 or not isinstance(ex.data, dict):
            raise ControlError(f"GET /__control/clock answered {ex.outcome()}")
        return parse_instant(ex.data.get("now"), where="GET /__control/clock now")

    def load(self, world: World) -> Exchange:
        ex = self.client.send("PUT", "/__control/world", json=world.to_json())
        if ex.status is None or not 200 <= ex.status < 300:
            raise ControlError(f"PUT /__control/world answered {ex.outcome()}")
        return ex

    def set_clock(self, now: datetime) -> Exchange:
        """PUT /__control/clock; returns the exchange (SIM-02 checks judge refusals themselves)."""
        return self.client.send("PUT", "/__control/clock", json={"now": now.strftime("%Y-%m-%dT%H:%M:%SZ")})

    def advance(self, delta: timedelta) -> Exchange:
        return self.set_clock(self.now() + delta)


@dataclass
class Ledger:
    """Every campaign the suite created, so that a black-box run can clean up after itself."""

    cap: int | None = None
    created: list[tuple[str, str, Credential]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reserve(self) -> None:
        with self._lock:
            if self.cap is not None and len(self.created) >= self.cap:
                raise BudgetExhausted(f"the cap of {self.cap} campaigns per run is reached (--max-campaigns)")

    def record(self, account: str, upgrade_id: str, cred: Credential) -> None:
        with self._lock:
            self.created.append((account, upgrade_id, cred))


class Api:
    """The four operations of openapi.yaml, each returning the Exchange unjudged: checks use
    ``ctx.calls`` (toolkit.Calls), which sends through here and judges every answer."""

    def __init__(self, client: Client, ledger: Ledger, *, pool: Pool | None = None) -> None:
        self.client = client
        self.ledger = ledger
        #: Black-box runs only: the device economy (suite/pool.py). Every answer that says where a
        #: device now is (accepted, refused, cancelled, read back) is reported to it.
        self.pool = pool

    def schedule(self, body: Any = None, *, creds: Credential | None, raw: bytes | None = None,
                 content_type: str | None = "application/json",
                 headers: Mapping[str, str] | None = None) -> Exchange:
        """POST /upgrades. Any 200 with an id is recorded in the ledger, whoever's account it names."""
        self.ledger.reserve()
        if raw is not None:
            ex = self.client.send("POST", "/upgrades", content=raw, creds=creds, content_type=content_type,
                                  headers=headers)
        else:
            ex = self.client.send("POST", "/upgrades", json=body, creds=creds, content_type=content_type,
                                  headers=headers)
        data = ex.data
        if ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str) and creds:
            account = data.get("accountName") if isinstance(data.get("accountName"), str) else None
            if account is None and isinstance(body, dict):
                account = str(body.get("accountName"))
            self.ledger.record(account or "", data["id"], creds)
        if self.pool is not None:
            self.pool.after_schedule(body, ex, creds)
        return ex

    def change(self, account: str, upgrade_id: str, body: Any = None, *, creds: Credential | None,
               raw: bytes | None = None, content_type: str | None = "application/json",
               headers: Mapping[str, str] | None = None) -> Exchange:
        """PUT /upgrades/{account}/upgrade/{upgradeId} (append/remove)."""
        path = f"/upgrades/{account}/upgrade/{upgrade_id}"
        if raw is not None:
            return self.client.send("PUT", path, content=raw, creds=creds, content_type=content_type,
                                    headers=headers)
        ex = self.client.send("PUT", path, json=body, creds=creds, content_type=content_type, headers=headers)
        if self.pool is not None:  # also without credentials: a faulty target may accept it anyway
            self.pool.after_change(account, upgrade_id, body, ex)
        return ex

    def details(self, account: str, upgrade_id: str, *, creds: Credential | None) -> Exchange:
        return self.on_campaign("GET", account, upgrade_id, creds=creds)

    def cancel(self, account: str, upgrade_id: str, *, creds: Credential | None) -> Exchange:
        return self.on_campaign("DELETE", account, upgrade_id, creds=creds)

    def on_campaign(self, method: str, account: str, upgrade_id: str, *, creds: Credential | None,
                    headers: Mapping[str, str] | None = None, raw: bytes | None = None) -> Exchange:
        """Any method on /upgrades/{account}/upgrade/{upgradeId}, an unlabelled ``raw`` body allowed."""
        ex = self.client.send(method, f"/upgrades/{account}/upgrade/{upgrade_id}", content=raw, creds=creds,
                              headers=headers, content_type=None)
        if self.pool is not None and raw is None:
            # Black-box: a read or a cancel may show that the campaign's devices are free again.
            if method == "GET":
                self.pool.after_read(account, upgrade_id, ex, creds)
            elif method == "DELETE":
                self.pool.after_cancel(account, upgrade_id, ex)
        return ex


@dataclass
class Ctx:
    """Everything one check may use. One Ctx per check run; the world may be reloaded inside it."""

    api: Api
    control: ControlPlane | None
    results: Results
    settings: Settings
    world: World
    check: str = ""
    #: Devices handed out since the world was last (re)loaded: a check never reuses one by accident.
    used: set[str] = field(default_factory=set)
    #: Status transitions seen by any check: (from, to) → count; the report draws them.
    observed_edges: dict[tuple[str, str], int] = field(default_factory=dict)
    #: The run's world (the suite's own, or --world): what ``fresh_world()`` reloads by default.
    home: World | None = None
    #: Shows a line of progress while the check waits on the target (polling); may be None.
    progress: Callable[[str], None] | None = None

    # --- the world -------------------------------------------------------------------------------
    def fresh_world(self, world: World | None = None) -> World:
        """With a control plane: load ``world`` (default: the run's world) and forget used devices.
        Without one: the target's world stays as it is; devices stay used for the whole run."""
        if self.control is not None:
            self.world = world or self.home or suite_world()
            self.control.load(self.world)
            self.used.clear()
            self.calls.ids.clear()  # a new world may restart a deterministic id sequence (POST-02)
            self.results.add_secrets(s for c in self.world.credentials for s in (c.bearer, c.m2m))
        return self.world

    @property
    def alpha(self) -> Credential:
        """The first credential: the suite's own account."""
        return self.world.credentials[0]

    @property
    def beta(self) -> Credential | None:
        """A credential that does not cover alpha's accounts (for AUTH-04), if the world has one."""
        mine = set(self.alpha.accounts)
        return next((c for c in self.world.credentials[1:] if not mine & set(c.accounts)), None)

    @property
    def account(self) -> Account:
        acc = self.world.account(self.alpha.accounts[0])
        # A world may name accounts it does not describe (they hold nothing); the runner refuses a
        # world whose first credential's first account is one of them, so this one is described.
        assert acc is not None
        return acc

    @property
    def firmware(self) -> Firmware:
        """The account's firmware with the most fitting devices: the one checks schedule with."""
        acc = self.account
        if not acc.firmware:
            raise NotEnoughDevices(f"account {acc.name} has no firmware in the world")
        return max(acc.firmware, key=lambda fw: sum(d.fits(fw) for d in acc.devices))

    def devices(self, n: int, *, firmware: Firmware | None = None, reachable: bool | None = True,
                account: Account | None = None) -> list[str]:
        """Take ``n`` unused IMEIs that fit ``firmware`` (default: ``self.firmware``).

        Black-box: lent by the run's pool (suite/pool.py); unreachable devices count as well there,
        because a campaign the suite creates never starts (startDate 30+ days ahead, cancelled)."""
        acc = account or self.account
        fw = firmware or self.firmware
        pool = self.api.pool if self.control is None else None
        fits = [d for d in acc.devices if d.fits(fw) and d.imei not in self.used]
        if pool is not None and reachable is True:
            fits.sort(key=lambda d: not d.reachable)  # reachable ones first
        else:
            fits = [d for d in fits if reachable is None or d.reachable == reachable]
        picked = [d.imei for d in fits]
        if pool is not None:
            taken = pool.take(picked, n, self.check)
            picked = taken if taken is not None else [i for i in picked if pool.is_free(i)]
        if len(picked) < n:
            raise NotEnoughDevices(f"needs {n} unused devices fitting {fw.name} in {acc.name}, has {len(picked)}"
                                   + (" free now (the others are held by open campaigns)" if pool else ""))
        self.used.update(picked[:n])
        return picked[:n]

    def misfits(self, n: int, *, firmware: Firmware | None = None) -> list[str]:
        """Take ``n`` unused IMEIs of the account that do not fit ``firmware`` (wrong model or version)."""
        fw = firmware or self.firmware
        picked = [d.imei for d in self.account.devices if not d.fits(fw) and d.imei not in self.used]
        pool = self.api.pool if self.control is None else None
        if pool is not None:
            picked = pool.take(picked, n, self.check) or []
        if len(picked) < n:
            raise NotEnoughDevices(f"needs {n} devices not fitting {fw.name}, has {len(picked)}")
        self.used.update(picked[:n])
        return picked[:n]

    def recycle(self) -> None:
        """Black-box: get devices back from this run's campaigns (cancel and read back every one but
        the shared open campaigns, which are trimmed to one device). A check calls it only once it is
        done with every campaign it created; a no-op under a control plane."""
        pool = self.api.pool
        if self.control is None and pool is not None:
            pool.give_back(self.check)
            pool.recycle(self.api)
            # As at the start of a check: what the pool cannot lend now is "used", the rest is free
            # again (also devices whose campaigns a read already showed ended).
            self.used.clear()
            self.used.update(pool.busy())

    @property
    def pool(self) -> Pool | None:
        """The run's device economy (black-box runs only; None under a control plane)."""
        return self.api.pool if self.control is None else None

    def unheld(self, devices: Iterable[str]) -> bool:
        """Black-box: no campaign of this run holds any of ``devices`` (always True with a control
        plane, whose world is the check's alone)."""
        pool = self.api.pool
        return self.control is not None or pool is None or not any(pool.held(d) for d in devices)

    def devices_up_to(self, n: int, **kwargs: Any) -> list[str]:
        """Like ``devices`` but content with fewer (at least one) when the pool is short."""
        for k in range(n, 1, -1):
            try:
                return self.devices(k, **kwargs)
            except NotEnoughDevices:
                continue
        return self.devices(1, **kwargs)

    def poll_total(self) -> float:
        """How long to wait for a RequestPending campaign to be decided: --poll-total, or one
        --poll-interval once a campaign of this run stayed undecided that long (``undecided``)."""
        pool = self.api.pool
        if pool is not None and pool.undecided:
            return min(self.settings.poll_total, self.settings.poll_interval)
        return self.settings.poll_total

    def undecided(self) -> None:
        """A campaign stayed RequestPending for the whole poll: later polls of the run wait less."""
        if self.api.pool is not None:
            self.api.pool.undecided = True

    def waiting(self, text: str) -> None:
        """Tell the user the suite is waiting on the target (progress line), e.g. while polling."""
        if self.progress is not None:
            self.progress(text)

    @property
    def today(self) -> date:
        return self.world.today if self.control is not None else datetime.now(UTC).date()

    def start_date(self, days_ahead: int = 3) -> date:
        """A startDate for a new campaign: never less than the safety lead against real systems."""
        lead = days_ahead if self.control is not None else max(days_ahead, self.settings.min_lead_days)
        return self.today + timedelta(days=lead)

    def schedule_body(self, n: int = 2, **overrides: Any) -> dict[str, Any]:
        """A valid schedule request body for ``n`` fresh devices; keyword overrides replace fields
        (``endDate=None`` drops a field)."""
        fw = overrides.pop("firmware", None) or self.firmware
        body: dict[str, Any] = {
            "accountName": self.account.name,
            "firmwareName": fw.name,
            "firmwareTo": fw.to_version,
            "startDate": self.start_date().isoformat(),
            # A deviceList override takes no device of the pool.
            "deviceList": overrides.pop("deviceList") if "deviceList" in overrides else self.devices(n, firmware=fw),
        }
        for key, value in overrides.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    @cached_property
    def calls(self) -> Calls:
        """The check's operations: every answer judged once for the universal rules (toolkit.Calls)."""
        from conformance.suite.toolkit import Calls  # the toolkit builds on this module

        return Calls(self)

    # --- results ---------------------------------------------------------------------------------
    def exercised(self, *rule_ids: str) -> None:
        for rule_id in rule_ids:
            self.results.exercised(rule_id, self.check)

    def fail(self, rule_id: str, title: str, *, expected: str, actual: str,
             exchanges: Iterable[Exchange] = (), severity: Level | None = None) -> None:
        self.results.fail(rule_id, self.check, title, expected=expected, actual=actual,
                          exchanges=exchanges, severity=severity)

    def expect(self, rule_id: str, ok: bool, title: str, *, expected: str, actual: str | None = None,
               exchanges: Iterable[Exchange] = (), severity: Level | None = None) -> bool:
        """Record that ``rule_id`` was exercised, and a failure unless ``ok``. ``actual`` defaults to
        the last exchange's outcome. Returns ``ok`` so checks can stop early."""
        exchanges = list(exchanges)
        self.exercised(rule_id)
        if not ok:
            got = actual if actual is not None else (exchanges[-1].outcome() if exchanges else "?")
            self.fail(rule_id, title, expected=expected, actual=got, exchanges=exchanges, severity=severity)
        return ok

    def branch(self, rule_id: str, name: str) -> None:
        self.results.branch(rule_id, name)

    def skip(self, rule_id: str, reason: str) -> None:
        self.results.skip(rule_id, reason)

    def observe_edge(self, before: str, after: str) -> None:
        if before != after:
            self.observed_edges[(before, after)] = self.observed_edges.get((before, after), 0) + 1
