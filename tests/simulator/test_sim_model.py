"""The pure model on its own (no HTTP): SIM-04 timing, ids, determinism, realtime, and a Hypothesis
state machine over random schedule/append/remove/cancel/clock-move sequences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from simkit import (
    A_DEVICES,
    ACCOUNT_A,
    ACCOUNT_B,
    B_DEVICES,
    FIT,
    FW_A,
    FW_B,
    MODEL_B,
    NOW,
    TO_A,
    UNKNOWN_IMEI,
    UNREACHABLE,
    WORLD,
    WRONG_VERSION,
)

from conformance.simulator import ApiError, Profile, Simulator
from conformance.simulator.campaign import ScheduleRequest
from conformance.simulator.model import CampaignSnapshot
from conformance.spec.lifecycle import (
    TERMINAL,
    CampaignFacts,
    Status,
    expected_status,
    is_allowed_change,
    midnight,
)
from conformance.spec.world import Credential

ALPHA = WORLD.credentials[0]
TODAY = NOW.date()


def request(devices: list[str], *, start: int = 2, firmware: str = FW_A, **kw: object) -> ScheduleRequest:
    return ScheduleRequest(account=ACCOUNT_A, firmware_name=firmware, start_date=TODAY + timedelta(days=start),
                           devices=tuple(devices), **kw)  # type: ignore[arg-type]


def snapshot(sim: Simulator, upgrade_id: str) -> CampaignSnapshot:
    return next(c for c in sim.campaigns() if c.id == upgrade_id)


def test_model_sim04_timing_from_pending_to_finished() -> None:
    sim = Simulator(WORLD)
    uid = sim.schedule(ALPHA, request(FIT[:1] + UNREACHABLE[:1], start=1))["id"]
    assert snapshot(sim, uid).status is Status.REQUEST_PENDING
    sim.set_clock(NOW)  # the same instant is no forward move: nothing is decided
    assert snapshot(sim, uid).status is Status.REQUEST_PENDING
    sim.set_clock(NOW + timedelta(seconds=1))
    assert snapshot(sim, uid).status is Status.QUEUED
    sim.set_clock(midnight(TODAY + timedelta(days=1)) - timedelta(microseconds=1))
    assert snapshot(sim, uid).status is Status.QUEUED
    sim.set_clock(midnight(TODAY + timedelta(days=1)))
    assert snapshot(sim, uid).status is Status.IN_PROGRESS
    sim.set_clock(midnight(TODAY + timedelta(days=2)))
    items = {d["deviceId"]: d["status"] for d in sim.details(ALPHA, ACCOUNT_A, uid)["deviceList"]}
    assert snapshot(sim, uid).status is Status.FINISHED
    assert items == {FIT[0]: "UpgradeSuccess", UNREACHABLE[0]: "UpgradeFailed"}


def test_model_one_move_over_several_instants_applies_them_in_order() -> None:
    sim = Simulator(WORLD)
    done = sim.schedule(ALPHA, request(FIT[:1], start=0))["id"]  # startDate today: starts at the deciding move
    dead = sim.schedule(ALPHA, request(UNREACHABLE[:1], start=3))["id"]
    sim.set_clock(NOW + timedelta(days=10))
    assert snapshot(sim, done).status is Status.FINISHED
    assert snapshot(sim, dead).status is Status.UPGRADE_FAILED


def test_model_clock_never_moves_back() -> None:
    sim = Simulator(WORLD)
    sim.set_clock(NOW + timedelta(days=1))
    with pytest.raises(ApiError) as info:
        sim.set_clock(NOW)
    assert info.value.status == 400 and info.value.error_code == "Control.INPUT_INVALID.ClockBackwards"
    assert sim.now() == NOW + timedelta(days=1)


def test_model_ids_are_never_reused_even_across_world_loads() -> None:
    sim = Simulator(WORLD)
    other = Simulator(WORLD)
    ids = set()
    for _ in range(3):
        for s in (sim, other):
            ids.add(s.schedule(ALPHA, request(FIT[:1]))["id"])
        sim.load_world(WORLD)
    assert len(ids) == 6


def test_model_same_world_same_requests_same_statuses() -> None:
    def script(sim: Simulator) -> list[str]:
        seen = []
        a = sim.schedule(ALPHA, request(FIT[:2], start=1))["id"]
        b = sim.schedule(ALPHA, request(MODEL_B[:1], start=1))["id"]
        for hours in (1, 24, 48, 200):
            sim.set_clock(NOW + timedelta(hours=hours))
            seen += [snapshot(sim, a).status.value, snapshot(sim, b).status.value]
        return seen

    sim = Simulator(WORLD)
    first = script(sim)
    sim.load_world(WORLD)
    assert script(sim) == first == script(Simulator(WORLD))


def test_model_realtime_clock_follows_wall_time() -> None:
    ticks = [0.0]
    sim = Simulator(WORLD, realtime=True, monotonic=lambda: ticks[0])
    uid = sim.schedule(ALPHA, request(FIT[:1], start=1))["id"]
    assert sim.now() == NOW and snapshot(sim, uid).status is Status.REQUEST_PENDING
    ticks[0] = 90.0
    assert sim.now() == NOW + timedelta(seconds=90)
    assert snapshot(sim, uid).status is Status.QUEUED
    ticks[0] = 2 * 86400.0
    assert snapshot(sim, uid).status is Status.FINISHED
    sim.set_clock(NOW + timedelta(days=5))  # a set clock re-anchors wall time
    ticks[0] += 1
    assert sim.now() == NOW + timedelta(days=5, seconds=1)


def test_model_refusals_name_the_field() -> None:
    sim = Simulator(WORLD, profile=Profile.of("sync-refusal"))
    with pytest.raises(ApiError) as info:
        sim.schedule(ALPHA, request([FIT[0], FIT[0]]))
    assert info.value.error_code == "FotaService.INPUT_INVALID.deviceList"
    assert info.value.body["errorMessage"].startswith("deviceList[1]: ")


# --- the state machine ----------------------------------------------------------------------------

_POOL = FIT[:8] + UNREACHABLE + WRONG_VERSION[:1] + MODEL_B[:2] + B_DEVICES[:1] + [UNKNOWN_IMEI, "12"]
#: Which devices each firmware may take, and its target version.
_FITS = {FW_A: set(FIT) | set(UNREACHABLE), FW_B: set(MODEL_B)}
_TARGET = {FW_A: TO_A, FW_B: "VerizonFirmwareVersion-04"}
_REACHABLE = set(FIT) | set(MODEL_B)
#: A campaign for an unknown firmware takes any of account A's devices (it fails later anyway).
_ACCOUNT_A = set(A_DEVICES)


@dataclass
class _Tracked:
    id: str
    start: date
    valid: bool
    devices: list[str]
    created_at_move: int
    firmware: str
    cancelled: bool = False
    history: list[Status] = field(default_factory=list)


class LifecycleMachine(RuleBasedStateMachine):
    """Random sequences of the four operations and clock moves; the invariants are the rules' (docs/rules.md)."""

    def __init__(self) -> None:
        super().__init__()
        self.sim = Simulator(WORLD)
        self.cred: Credential = ALPHA
        self.tracked: dict[str, _Tracked] = {}
        self.moves = 0

    @initialize(reload=st.booleans())
    def maybe_reload(self, reload: bool) -> None:
        if reload:
            self.sim.load_world(WORLD)

    @rule(devices=st.lists(st.sampled_from(_POOL), min_size=1, max_size=4),
          start=st.integers(-1, 4), end=st.one_of(st.none(), st.integers(-2, 6)),
          firmware=st.sampled_from([FW_A, FW_A, FW_A, FW_B, "FOTA_nope"]),
          firmware_to=st.sampled_from([None, TO_A, "VerizonFirmwareVersion-99"]))
    def schedule(self, devices: list[str], start: int, end: int | None, firmware: str,
                 firmware_to: str | None) -> None:
        today = self.sim.now().date()
        start_date = today + timedelta(days=start)
        end_date = None if end is None else today + timedelta(days=end)
        req = ScheduleRequest(account=ACCOUNT_A, firmware_name=firmware, start_date=start_date,
                              devices=tuple(devices), end_date=end_date, firmware_to=firmware_to)
        answer = self.sim.schedule(self.cred, req)
        valid = (firmware in _FITS and firmware_to in (None, _TARGET[firmware])
                 and (end_date is None or end_date >= start_date)
                 and len(set(devices)) == len(devices) and set(devices) <= _FITS[firmware])
        assert answer["status"] == "RequestPending"
        assert [d["deviceId"] for d in answer["deviceList"]] == list(dict.fromkeys(devices))
        self.tracked[answer["id"]] = _Tracked(answer["id"], start_date, valid, list(dict.fromkeys(devices)),
                                              self.moves, firmware, history=[Status.REQUEST_PENDING])

    def _pick(self, data: st.DataObject) -> _Tracked:
        return data.draw(st.sampled_from(list(self.tracked.values())))

    @precondition(lambda self: bool(self.tracked))
    @rule(data=st.data(), kind=st.sampled_from(["append", "remove"]),
          devices=st.lists(st.sampled_from(_POOL), min_size=1, max_size=3))
    def change(self, data: st.DataObject, kind: str, devices: list[str]) -> None:
        t = self._pick(data)
        status = snapshot(self.sim, t.id).status
        try:
            answer = self.sim.change(self.cred, ACCOUNT_A, t.id, kind, devices)  # type: ignore[arg-type]
        except ApiError as exc:
            assert exc.status == 400
            assert t.cancelled or status not in {Status.REQUEST_PENDING, Status.QUEUED}  # PUT-04 / LIFE-06
            return
        assert not t.cancelled and status in {Status.REQUEST_PENDING, Status.QUEUED}
        assert [i["deviceId"] for i in answer["deviceList"]] == devices
        for item in answer["deviceList"]:
            imei, outcome = item["deviceId"], item["status"]
            assert "Reason" in item and "resultReason" not in item  # PUT-07
            if outcome == "AddDeviceSucceed":
                assert imei not in t.devices
                t.devices.append(imei)
            elif outcome == "RemoveDeviceSucceed":
                assert imei in t.devices
                t.devices.remove(imei)
            elif kind == "append":  # PUT-03: a failed item is a real problem, never a lost success
                assert outcome == "AddDeviceFailed"
                assert imei in t.devices or imei not in _FITS.get(t.firmware, _ACCOUNT_A)
            else:
                assert outcome == "RemoveDeviceFailed" and imei not in t.devices

    @precondition(lambda self: bool(self.tracked))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        t = self._pick(data)
        status = snapshot(self.sim, t.id).status
        try:
            assert self.sim.cancel(self.cred, ACCOUNT_A, t.id) == {"success": True}
        except ApiError as exc:
            assert exc.status == 400 and (t.cancelled or status not in {Status.REQUEST_PENDING, Status.QUEUED})
            return
        assert not t.cancelled and status in {Status.REQUEST_PENDING, Status.QUEUED}
        t.cancelled = True

    @rule(minutes=st.sampled_from([0, 1, 59, 60 * 24, 60 * 24 - 1, 60 * 48, 60 * 24 * 9]))
    def move_clock(self, minutes: int) -> None:
        before = self.sim.now()
        self.sim.set_clock(before + timedelta(minutes=minutes))
        if minutes:
            self.moves += 1

    @invariant()
    def campaigns_follow_the_rules(self) -> None:
        now = self.sim.now()
        for snap in self.sim.campaigns():
            t = self.tracked[snap.id]
            status = snap.status
            assert status.value in {s.value for s in Status}  # LIFE-01
            assert is_allowed_change(t.history[-1], status), (t.history, status)  # LIFE-02
            if t.history[-1] in TERMINAL:
                assert status == t.history[-1]  # terminal never changes
            if now < midnight(t.start):
                assert status not in {Status.IN_PROGRESS, Status.FINISHED}  # LIFE-03
            assert list(snap.devices) == t.devices  # LIFE-04: every append and remove, nothing else
            assert snap.cancelled == t.cancelled
            facts = CampaignFacts(start_date=t.start, valid=t.valid, decided=self.moves > t.created_at_move,
                                  any_reachable=any(i in _REACHABLE for i in t.devices), cancelled=t.cancelled)
            expected = expected_status(facts, now)
            if expected is not None:  # SIM-04, against the spec's own oracle
                assert status == expected, (t, status, expected, now)
            else:  # LIFE-06: a cancelled campaign never starts, and GET refuses it
                assert status in {Status.REQUEST_PENDING, Status.QUEUED}
                with pytest.raises(ApiError):
                    self.sim.details(self.cred, ACCOUNT_A, snap.id)
            if status != t.history[-1]:
                t.history.append(status)


LifecycleMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=25, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_model_lifecycle_state_machine = LifecycleMachine.TestCase


def test_model_other_account_is_indistinguishable_from_unknown() -> None:
    sim = Simulator(WORLD)
    beta = WORLD.credentials[1]
    theirs = sim.schedule(beta, ScheduleRequest(account=ACCOUNT_B, firmware_name=FW_A, start_date=TODAY,
                                                devices=tuple(B_DEVICES[:1])))["id"]
    for call in (lambda: sim.details(ALPHA, ACCOUNT_A, theirs), lambda: sim.cancel(ALPHA, ACCOUNT_A, theirs)):
        with pytest.raises(ApiError) as info:
            call()
        assert info.value.error_code == "FotaService.REQUEST_FAILED.UpgradeNotFound"
    with pytest.raises(ApiError) as info:
        sim.details(ALPHA, ACCOUNT_B, theirs)
    assert info.value.error_code == "UnifiedWebService.REQUEST_FAILED.AccountNotFound"
    assert theirs not in str(info.value.body) and B_DEVICES[0] not in str(info.value.body)


def test_model_cancel_as_failed_moves_along_edges() -> None:
    sim = Simulator(WORLD, profile=Profile.of("cancel-as-failed"))
    pending = sim.schedule(ALPHA, request(FIT[:1]))["id"]
    queued = sim.schedule(ALPHA, request(FIT[1:2]))["id"]
    sim.set_clock(NOW + timedelta(minutes=1))
    sim.cancel(ALPHA, ACCOUNT_A, queued)
    late = sim.schedule(ALPHA, request(FIT[2:3]))["id"]
    sim.cancel(ALPHA, ACCOUNT_A, late)
    assert sim.details(ALPHA, ACCOUNT_A, queued)["status"] == "UpgradeFailed"
    assert sim.details(ALPHA, ACCOUNT_A, late)["status"] == "RequestFailed"
    sim.set_clock(NOW + timedelta(days=9))
    assert sim.details(ALPHA, ACCOUNT_A, pending)["status"] == "Finished"
    assert sim.details(ALPHA, ACCOUNT_A, queued)["status"] == "UpgradeFailed"


def test_model_handles_the_ends_of_the_calendar() -> None:
    sim = Simulator(WORLD)
    far = ScheduleRequest(account=ACCOUNT_A, firmware_name=FW_A, start_date=date(9999, 12, 31),
                          devices=tuple(FIT[:1]))
    uid = sim.schedule(ALPHA, far)["id"]
    sim.set_clock(datetime(9999, 12, 31, 23, 59, 59, tzinfo=NOW.tzinfo))
    assert snapshot(sim, uid).status is Status.IN_PROGRESS
