"""LIFE and SIM rules over HTTP, and the control plane of docs/simulator-contract.md."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from simkit import (
    ACCOUNT_A,
    FIT,
    FW_A,
    MODEL_B,
    NOW,
    STATUSES,
    TO_A,
    UNREACHABLE,
    WORLD,
    Api,
    body,
    day,
    is_error,
    midnight,
)

from conformance.spec.lifecycle import TERMINAL, Status, is_allowed_change
from conformance.spec.world import Account, Credential, Device, Firmware, World


def observe(api: Api, uid: str, moves: list[datetime]) -> list[str]:
    seen = [api.status(uid)]
    for instant in moves:
        assert api.set_clock(instant).status_code == 200
        seen.append(api.status(uid))
    return seen


# --- LIFE ---------------------------------------------------------------------------------------

def test_life01_every_status_seen_is_one_of_the_six(api: Api) -> None:
    uids = [api.create(FIT[:1], start=1), api.create(MODEL_B[:1], start=1), api.create(UNREACHABLE[:1], start=1),
            api.create(FIT[1:2], start=3)]
    seen = set()
    for instant in (NOW, NOW + timedelta(minutes=1), midnight(1), midnight(2), midnight(3), midnight(12)):
        api.set_clock(instant)
        seen |= {api.status(uid) for uid in uids}
    assert seen == STATUSES


def test_life02_changes_follow_the_edges_and_terminal_states_stay(api: Api) -> None:
    uids = {"ok": api.create([FIT[0], UNREACHABLE[0]], start=1), "bad": api.create(MODEL_B[:1], start=1),
            "dead": api.create(UNREACHABLE[:1], start=1)}
    moves = [NOW + timedelta(seconds=1), midnight(1) - timedelta(seconds=1), midnight(1),
             midnight(1) + timedelta(hours=23), midnight(2), midnight(3), midnight(40)]
    histories = {name: [api.status(uid)] for name, uid in uids.items()}
    for instant in moves:
        api.set_clock(instant)
        for name, uid in uids.items():
            histories[name].append(api.status(uid))
    for name, history in histories.items():
        for before, after in itertools.pairwise(history):
            assert is_allowed_change(Status(before), Status(after)), (name, history)
            if Status(before) in TERMINAL:
                assert after == before, (name, history)
    assert histories["ok"][-1] == "Finished" and histories["bad"][-1] == "RequestFailed"
    assert histories["dead"][-1] == "UpgradeFailed"


def test_life03_never_started_before_the_start_date(api: Api) -> None:
    uid = api.create(FIT[:2], start=3)
    seen = observe(api, uid, [NOW + timedelta(hours=1), midnight(2), midnight(3) - timedelta(microseconds=1)])
    assert seen == ["RequestPending", "Queued", "Queued", "Queued"]
    assert observe(api, uid, [midnight(3)])[-1] == "InProgress"


def test_life04_get_returns_the_creation_fields_and_every_change(api: Api) -> None:
    created = api.schedule(body(FIT[:3], endDate=day(4), firmwareTo=TO_A)).json()
    uid = created["id"]
    api.change(uid, "append", FIT[3:5])
    api.change(uid, "remove", [FIT[1]])
    api.advance()
    api.change(uid, "append", [FIT[1]])
    api.change(uid, "remove", [FIT[0], FIT[4]])
    data = api.get(uid).json()
    for key in ("id", "accountName", "firmwareName", "firmwareTo", "startDate"):
        assert data[key] == created[key]
    assert [d["deviceId"] for d in data["deviceList"]] == [FIT[2], FIT[3], FIT[1]]
    assert data["status"] == "Queued"
    assert {(d["status"], d["resultReason"]) for d in data["deviceList"]} == {("Device Accepted", "success")}


@pytest.mark.parametrize("end", [None, 2, 5])
def test_life05_campaigns_are_terminal_after_their_end(api: Api, end: int | None) -> None:
    fields = {} if end is None else {"endDate": day(end)}
    uids = [api.create([FIT[0], UNREACHABLE[0]], start=2, **fields), api.create(MODEL_B[:1], start=2, **fields)]
    limit = midnight(end + 1) if end is not None else midnight(2 + 7)
    api.set_clock(limit + timedelta(seconds=1))
    assert [api.status(uid) for uid in uids] == ["Finished", "RequestFailed"]


@pytest.mark.parametrize("decided", [False, True])
def test_life06_delete_of_an_open_campaign_cancels_it_for_good(api: Api, decided: bool) -> None:
    uid = api.create(FIT[:2], start=1)
    if decided:
        api.advance()
        assert api.status(uid) == "Queued"
    r = api.cancel(uid)
    assert r.status_code == 200 and r.json() == {"success": True}
    assert r.headers["content-type"] == "application/json"
    for instant in (midnight(1), midnight(2), midnight(30)):
        api.set_clock(instant)
        assert is_error(api.get(uid), status=400)
        assert is_error(api.change(uid, "append", FIT[5:6]), status=400)
    assert is_error(api.cancel(uid), status=400)


@pytest.mark.parametrize("state", ["InProgress", "Finished", "RequestFailed", "UpgradeFailed"])
def test_life06_delete_of_a_started_or_terminal_campaign_is_refused(api: Api, state: str) -> None:
    devices = {"RequestFailed": MODEL_B[:1], "UpgradeFailed": UNREACHABLE[:1]}.get(state, FIT[:1])
    uid = api.create(devices, start=1)
    api.to_day(2 if state == "Finished" else 1)
    assert api.status(uid) == state
    r = api.cancel(uid)
    assert is_error(r, status=400)
    assert api.status(uid) == state


# --- SIM and the control plane ------------------------------------------------------------------

def test_sim01_loading_a_world_replaces_all_state(api: Api) -> None:
    old = api.create()
    api.advance(timedelta(days=3))
    other = World(
        now=datetime(2030, 1, 1, 12, 30, tzinfo=UTC),
        credentials=(Credential("bearer-new", "m2m-new", ("1111111111-11111",)),),
        accounts=(Account("1111111111-11111",
                          (Firmware("FW_X", "Acme", "X1", "1.0", "2.0"),),
                          (Device("111111111111111", "Acme", "X1", "1.0"),)),),
    )
    api.reset(other)
    assert api.now() == other.now
    new = {"Authorization": "Bearer bearer-new", "VZ-M2M-Token": "m2m-new"}
    r = api.schedule({"accountName": "1111111111-11111", "firmwareName": "FW_X", "startDate": "2030-01-02",
                      "deviceList": ["111111111111111"]}, headers=new)
    assert r.status_code == 200
    assert api.schedule(body()).status_code == 401  # the old credentials are gone
    api.reset()
    assert api.now() == NOW
    assert is_error(api.get(old), status=400)  # no upgrade survives
    assert is_error(api.get(r.json()["id"], account="1111111111-11111", headers=new), status=401)


def test_sim01_world_loading_is_checked(api: Api) -> None:
    uid = api.create()
    for payload in (b"{}", b"[]", b"not json", b'{"now": "yesterday", "credentials": [], "accounts": []}',
                    b'{"now": "2026-03-01T00:00:00Z", "credentials": [], "accounts": [{"accountName": "x",'
                    b' "devices": [{"imei": 5}]}]}'):
        r = api.request("PUT", "/__control/world", content=payload)
        assert r.status_code == 400 and r.json()["errorCode"] == "Control.INPUT_INVALID.world", payload
    assert api.status(uid) == "RequestPending"  # a refused world changes nothing
    extended = {**WORLD.to_json(), "comment": "unknown fields are fine", "version": 2}
    assert api.request("PUT", "/__control/world", json=extended).status_code == 204


def test_sim01_an_account_only_a_credential_names_exists_and_holds_nothing(api: Api) -> None:
    world = {"now": "2026-03-01T00:00:00Z", "accounts": [],
             "credentials": [{"bearer": "b", "m2m": "m", "accounts": ["2222222222-22222"]}]}
    assert api.request("PUT", "/__control/world", json=world).status_code == 204
    creds = {"Authorization": "Bearer b", "VZ-M2M-Token": "m"}
    r = api.schedule(body(FIT[:1], accountName="2222222222-22222"), headers=creds)
    assert r.status_code == 200  # accepted, and fails later: no such firmware or device there
    api.advance()
    assert api.status(r.json()["id"], account="2222222222-22222", headers=creds) == "RequestFailed"


def test_sim02_the_clock_only_moves_forward(api: Api) -> None:
    uid = api.create(FIT[:1], start=1)
    r = api.set_clock(NOW - timedelta(seconds=1))
    assert r.status_code == 400 and r.json()["errorCode"] == "Control.INPUT_INVALID.ClockBackwards"
    assert r.json()["errorMessage"]
    assert api.now() == NOW and api.status(uid) == "RequestPending"
    r = api.set_clock(NOW)  # the same instant: allowed, and not a move
    assert r.status_code == 200 and r.json() == {"now": "2026-03-01T00:00:00Z"}
    assert api.status(uid) == "RequestPending"


def test_sim02_a_clock_move_applies_every_due_transition_before_it_answers(api: Api) -> None:
    uid = api.create(FIT[:1], start=1)
    r = api.set_clock(midnight(5))
    assert r.status_code == 200 and r.json() == {"now": midnight(5).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert api.status(uid) == "Finished"


@pytest.mark.parametrize("text, expected", [
    ("2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z"),
    ("2026-03-02T02:00:00+02:00", "2026-03-02T00:00:00Z"),
    ("2026-03-02T00:00:00.250Z", "2026-03-02T00:00:00.250000Z"),
])
def test_sim02_clock_instants_are_rfc3339_in_any_offset(api: Api, text: str, expected: str) -> None:
    assert api.set_clock(text).json() == {"now": expected}
    assert api.request("GET", "/__control/clock").json() == {"now": expected}


@pytest.mark.parametrize("payload", [b"", b"[]", b"{}", b'{"now": 5}', b'{"now": "2026-03-02"}',
                                     b'{"now": "0001-01-01T00:00:00+05:00"}',
                                     b'{"now": "2026-03-02T00:00:00"}', b"nope"])
def test_sim02_bad_clock_bodies_are_400(api: Api, payload: bytes) -> None:
    r = api.request("PUT", "/__control/clock", content=payload)
    assert r.status_code == 400 and r.json()["errorCode"].startswith("Control.INPUT_INVALID.")
    assert api.now() == NOW


def test_sim03_same_world_same_requests_same_statuses(api: Api) -> None:
    def script() -> list[str]:
        uids = [api.create(FIT[:2], start=1), api.create([FIT[2], UNREACHABLE[0]], start=2),
                api.create(MODEL_B[:1], start=1), api.create(UNREACHABLE[:1], start=1),
                api.create(FIT[5:6], start=1)]
        api.change(uids[0], "append", FIT[3:4])
        api.cancel(uids[4])
        seen = []
        for instant in (NOW + timedelta(minutes=1), midnight(1), midnight(2), midnight(3), midnight(20)):
            api.set_clock(instant)
            seen += [api.status(uid) for uid in uids]
        return seen

    first = script()
    api.reset()
    second = script()
    assert first == second
    assert "Finished" in first and "RequestFailed" in first and "UpgradeFailed" in first


def test_sim04_lifecycle_timing_under_the_control_plane(api: Api) -> None:
    ok = api.create([FIT[0], UNREACHABLE[0]], start=1)
    today = api.create(FIT[1:2], start=0)
    dead = api.create(UNREACHABLE[1:2], start=1)
    bad = api.create(MODEL_B[:1], start=1)
    # RequestPending until the clock next moves forward, by any amount.
    assert [api.status(u) for u in (ok, today, dead, bad)] == ["RequestPending"] * 4
    api.set_clock(NOW + timedelta(microseconds=1))
    # Decided; an instant already past (startDate today) applies at that same move.
    assert [api.status(u) for u in (ok, today, dead, bad)] == ["Queued", "InProgress", "Queued", "RequestFailed"]
    api.to_day(1)
    assert [api.status(u) for u in (ok, today, dead, bad)] == ["InProgress", "Finished", "UpgradeFailed",
                                                               "RequestFailed"]
    api.to_day(2)
    data = api.get(ok).json()
    assert data["status"] == "Finished"
    assert {d["deviceId"]: d["status"] for d in data["deviceList"]} == {FIT[0]: "UpgradeSuccess",
                                                                        UNREACHABLE[0]: "UpgradeFailed"}


def test_sim04_a_campaign_created_later_waits_for_its_own_move(api: Api) -> None:
    api.advance()
    uid = api.create(FIT[:1], start=0)
    assert api.status(uid) == "RequestPending"
    api.advance(timedelta(seconds=1))
    assert api.status(uid) == "InProgress"


def test_control_plane_probe_answers_the_clock(api: Api) -> None:
    r = api.request("GET", "/__control/clock")
    assert r.status_code == 200 and r.json() == {"now": "2026-03-01T00:00:00Z"}
    assert r.headers["content-type"] == "application/json"
    assert api.request("DELETE", "/__control/clock").status_code == 405


def test_firmware_to_of_a_valid_campaign_is_the_images_target(api: Api) -> None:
    data = api.schedule(body(FIT[:1], firmwareName=FW_A)).json()
    assert data["firmwareTo"] == TO_A and data["accountName"] == ACCOUNT_A
