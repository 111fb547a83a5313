"""POST and PUT rules over HTTP, with the default allowed branches of the reference simulator."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from simkit import (
    ACCOUNT_A,
    ALPHA,
    FIT,
    FW_B,
    MODEL_B,
    NEVER_ISSUED,
    TO_A,
    UNKNOWN_IMEI,
    UNREACHABLE,
    WRONG_VERSION,
    Api,
    body,
    day,
    is_error,
)

from conformance.simulator import RunningSimulator

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def count(server: RunningSimulator) -> int:
    return len(server.simulator.campaigns())


# --- POST ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [{}, {"endDate": day(5)}, {"firmwareTo": TO_A},
                                   {"endDate": day(2), "firmwareTo": TO_A}])
def test_post01_a_valid_request_is_accepted_faithfully(api: Api, extra: dict[str, Any]) -> None:
    request = body(FIT[:3], **extra)
    r = api.schedule(request)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    data = r.json()
    assert UUID.match(data["id"]) and uuid.UUID(data["id"])
    assert {k: data[k] for k in ("accountName", "firmwareName", "startDate")} == \
        {k: request[k] for k in ("accountName", "firmwareName", "startDate")}
    assert data["firmwareTo"] == TO_A
    assert data["status"] == "RequestPending"
    assert data["deviceList"] == [{"deviceId": imei, "status": "RequestPending"} for imei in FIT[:3]]
    assert "endDate" not in data  # extra fields are the extra-fields variant's business


def test_post01_start_date_today_and_unreachable_devices_are_valid(api: Api) -> None:
    r = api.schedule(body(UNREACHABLE[:1], start=0))
    assert r.status_code == 200 and r.json()["status"] == "RequestPending"


def test_post02_every_accepted_request_gets_a_new_id(api: Api) -> None:
    ids = [api.schedule(body(FIT[:1])).json()["id"] for _ in range(10)]
    api.reset()
    ids += [api.schedule(body(FIT[:1])).json()["id"] for _ in range(10)]
    assert len(set(ids)) == 20


@pytest.mark.parametrize("change", [
    {"accountName": None}, {"firmwareName": None}, {"startDate": None}, {"deviceList": None},
    {"accountName": 123456}, {"accountName": ""}, {"firmwareName": 7}, {"firmwareName": ["x"]},
    {"startDate": "2026/03/03"}, {"startDate": "03-03-2026"}, {"startDate": "20260303"},
    {"startDate": "2026-03-03T00:00:00Z"}, {"startDate": 20260303}, {"startDate": "2026-13-01"},
    {"endDate": "tomorrow"}, {"endDate": 5}, {"firmwareTo": 2},
    {"deviceList": []}, {"deviceList": "990003425730535"}, {"deviceList": [990003425730535]},
    {"deviceList": [None]}, {"deviceList": {"0": "990003425730535"}},
])
def test_post03_a_structurally_invalid_request_is_a_400_without_effect(api: Api, server: RunningSimulator,
                                                                       change: dict[str, Any]) -> None:
    request = body()
    for key, value in change.items():
        if value is None and key != "endDate":
            del request[key]
        else:
            request[key] = value
    r = api.schedule(request)
    assert r.status_code == 400 and is_error(r), r.text
    field = next(iter(change))
    assert r.json()["errorCode"] == f"FotaService.INPUT_INVALID.{field}"
    assert r.json()["errorMessage"].startswith(field)
    assert count(server) == 0


@pytest.mark.parametrize("name, request_fields, offending", [
    ("unknown firmware", {"firmwareName": "FOTA_Nope"}, None),
    ("firmware of another model", {"firmwareName": FW_B}, FIT[0]),
    ("unknown IMEI", {"deviceList": [FIT[0], UNKNOWN_IMEI]}, UNKNOWN_IMEI),
    ("malformed IMEI", {"deviceList": [FIT[0], "12"]}, "12"),
    ("another model", {"deviceList": [FIT[0], MODEL_B[0]]}, MODEL_B[0]),
    ("another version", {"deviceList": [FIT[0], WRONG_VERSION[0]]}, WRONG_VERSION[0]),
    ("duplicate IMEIs", {"deviceList": [FIT[0], FIT[1], FIT[0]]}, None),
    ("endDate before startDate", {"endDate": day(1)}, None),
    ("mismatching firmwareTo", {"firmwareTo": "VerizonFirmwareVersion-09"}, None),
])
def test_post04_a_semantically_invalid_request_fails_before_it_could_start(
        api: Api, name: str, request_fields: dict[str, Any], offending: str | None) -> None:
    r = api.schedule(body(FIT[:1], **request_fields))
    assert r.status_code == 200, r.text
    uid = r.json()["id"]
    assert r.json()["status"] == "RequestPending"
    api.advance()
    data = api.get(uid).json()
    assert data["status"] == "RequestFailed"
    reasons = {d["deviceId"]: (d["status"], d["resultReason"]) for d in data["deviceList"]}
    assert all(status == "Device Rejected" and reason for status, reason in reasons.values())
    if offending is not None:  # the offending device is told why, not just that the request failed
        assert not reasons[offending][1].startswith("Not scheduled")
    api.to_day(9)
    assert api.status(uid) == "RequestFailed"  # never Queued or InProgress with the offending devices


def test_post05_the_devicelist_spelling_is_refused_naming_deviceList(api: Api, server: RunningSimulator) -> None:
    request = body()
    request["devicelist"] = request.pop("deviceList")
    r = api.schedule(request)
    assert r.status_code == 400 and is_error(r)
    assert r.json()["errorCode"] == "FotaService.INPUT_INVALID.deviceList"
    uid = api.create()
    r = api.request("PUT", f"/upgrades/{ACCOUNT_A}/upgrade/{uid}", headers=ALPHA,
                    json={"type": "append", "devicelist": FIT[5:6]})
    assert r.status_code == 400 and "deviceList" in r.json()["errorMessage"]
    assert count(server) == 1 and api.devices(uid) == FIT[:2]


# --- PUT ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("decided", [False, True])
def test_put01_append_of_valid_devices_adds_them(api: Api, decided: bool) -> None:
    uid = api.create(FIT[:1])
    if decided:
        api.advance()
        assert api.status(uid) == "Queued"
    r = api.change(uid, "append", FIT[1:4])
    assert r.status_code == 200
    assert r.json() == {"accountName": ACCOUNT_A, "id": uid, "deviceList": [
        {"deviceId": imei, "status": "AddDeviceSucceed", "Reason": "Device added Successfully"}
        for imei in FIT[1:4]]}
    assert api.devices(uid) == FIT[:4]
    api.to_day(3)
    assert api.status(uid) == "Finished"
    assert {d["status"] for d in api.get(uid).json()["deviceList"]} == {"UpgradeSuccess"}


@pytest.mark.parametrize("decided", [False, True])
def test_put02_remove_of_campaign_devices_removes_them(api: Api, decided: bool) -> None:
    uid = api.create(FIT[:4])
    if decided:
        api.advance()
    r = api.change(uid, "remove", FIT[1:3])
    assert r.status_code == 200
    assert [(i["deviceId"], i["status"]) for i in r.json()["deviceList"]] == \
        [(FIT[1], "RemoveDeviceSucceed"), (FIT[2], "RemoveDeviceSucceed")]
    assert api.devices(uid) == [FIT[0], FIT[3]]


@pytest.mark.parametrize("kind, device, why", [
    ("append", FIT[0], "already part"),
    ("append", UNKNOWN_IMEI, "not found"),
    ("append", MODEL_B[0], "device type"),
    ("append", WRONG_VERSION[0], "not eligible"),
    ("append", "12", "Invalid Device IMEI"),
    ("remove", FIT[5], "not part"),
    ("remove", UNKNOWN_IMEI, "not part"),
])
def test_put03_a_per_device_problem_is_a_failed_item_without_effect(api: Api, kind: str, device: str,
                                                                    why: str) -> None:
    uid = api.create(FIT[:2])
    good = FIT[6] if kind == "append" else FIT[1]
    r = api.change(uid, kind, [good, device])
    assert r.status_code == 200
    ok, bad = r.json()["deviceList"]
    assert ok["status"] == ("AddDeviceSucceed" if kind == "append" else "RemoveDeviceSucceed")
    assert bad["deviceId"] == device
    assert bad["status"] == ("AddDeviceFailed" if kind == "append" else "RemoveDeviceFailed")
    assert why.lower() in bad["Reason"].lower()
    expected = [*FIT[:2], FIT[6]] if kind == "append" else [FIT[0]]
    assert api.devices(uid) == expected


def test_put03_the_same_device_twice_in_one_append_is_added_once(api: Api) -> None:
    uid = api.create(FIT[:1])
    items = api.change(uid, "append", [FIT[1], FIT[1]]).json()["deviceList"]
    assert [i["status"] for i in items] == ["AddDeviceSucceed", "AddDeviceFailed"]
    assert api.devices(uid) == FIT[:2]


@pytest.mark.parametrize("state", ["InProgress", "Finished", "RequestFailed", "UpgradeFailed", "cancelled"])
def test_put04_changes_to_started_or_terminal_campaigns_are_refused(api: Api, state: str) -> None:
    devices = {"RequestFailed": MODEL_B[:1], "UpgradeFailed": UNREACHABLE[:1]}.get(state, FIT[:2])
    uid = api.create(devices, start=1)
    if state == "cancelled":
        assert api.cancel(uid).status_code == 200
    else:
        api.to_day(1 if state != "Finished" else 2)
    before = api.get(uid)
    assert before.status_code != 200 or before.json()["status"] == state
    for kind, imeis in (("append", FIT[8:9]), ("remove", devices[:1])):
        r = api.change(uid, kind, imeis)
        assert r.status_code == 400 and is_error(r)
    after = api.get(uid)
    assert (after.status_code, after.content) == (before.status_code, before.content)


def test_put05_unknown_or_foreign_upgrade_ids_are_a_400(api: Api, server: RunningSimulator) -> None:
    theirs = api.schedule(body(["350000000090001"], accountName="0000654321-00001"),
                          headers={"Authorization": "Bearer bearer-beta", "VZ-M2M-Token": "m2m-beta"}).json()["id"]
    for upgrade_id in (NEVER_ISSUED, str(uuid.uuid4()), theirs):
        r = api.change(upgrade_id, "append", FIT[:1])
        assert r.status_code == 400 and is_error(r)
        assert r.json()["errorCode"] == "FotaService.REQUEST_FAILED.UpgradeNotFound"
    assert count(server) == 1


@pytest.mark.parametrize("payload", [
    {"type": "replace", "deviceList": ["350000000010001"]},
    {"type": "APPEND", "deviceList": ["350000000010001"]},
    {"type": None, "deviceList": ["350000000010001"]},
    {"deviceList": ["350000000010001"]},
    {"type": "append"},
    {"type": "append", "deviceList": []},
    {"type": "append", "deviceList": "350000000010001"},
    {"type": "append", "deviceList": [350000000010001]},
    {"type": "remove", "deviceList": [["990003425730535"]]},
    {"type": "append", "deviceList": None},
])
def test_put06_a_structurally_invalid_body_is_a_400_without_effect(api: Api, payload: dict[str, Any]) -> None:
    uid = api.create(FIT[:2])
    r = api.request("PUT", f"/upgrades/{ACCOUNT_A}/upgrade/{uid}", headers=ALPHA, json=payload)
    assert r.status_code == 400 and is_error(r)
    assert r.json()["errorCode"] in ("FotaService.INPUT_INVALID.type", "FotaService.INPUT_INVALID.deviceList")
    for raw in (b"", b"not json", b"[]"):
        assert api.put_raw(uid, raw).status_code == 400
    assert api.devices(uid) == FIT[:2]


def test_put07_result_items_carry_Reason_with_a_capital_R(api: Api) -> None:
    uid = api.create(FIT[:1])
    for kind, imeis in (("append", [FIT[1], FIT[0]]), ("remove", [FIT[1], FIT[9]])):
        for item in api.change(uid, kind, imeis).json()["deviceList"]:
            assert set(item) == {"deviceId", "status", "Reason"} and item["Reason"]
