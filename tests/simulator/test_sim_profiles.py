"""Every planted fault and every allowed variant changes exactly the behaviour it describes.

Each entry of PROBES runs one small scenario and returns what it observed; the test runs it on
the clean simulator and on one with the switch on, and expects the two documented observations.
The tests are parametrized over profile.FAULTS and profile.VARIANTS themselves, so a new entry
without a probe here fails.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from simkit import (
    ACCOUNT_B,
    ALPHA,
    B_DEVICES,
    FIT,
    MODEL_B,
    NEVER_ISSUED,
    UNREACHABLE,
    Api,
    body,
    day,
)

from conformance.simulator import FAULTS, VARIANTS


class Probe(NamedTuple):
    run: Callable[[Api], Any]
    clean: Any
    switched: Any


def _media(api: Api, r: Any) -> str:
    return str(r.headers["content-type"])


def _lifecycle(api: Api, devices: list[str], moves: list[int], *, start: int = 1, **fields: Any) -> list[str]:
    """Schedule, then set the clock to each day offset in turn (0: a one-minute move); the statuses seen."""
    uid = api.create(devices, start=start, **fields)
    seen = []
    for offset in moves:
        if offset == 0:
            api.advance()
        else:
            api.to_day(offset)
        seen.append(api.status(uid))
    return seen


def _started_details_media(api: Api) -> tuple[str, str]:
    """GET details' Content-Type while the campaign is open, then once it has started."""
    uid = api.create(FIT[:1], start=1)
    before = _media(api, api.get(uid))
    api.to_day(1)
    return before, _media(api, api.get(uid))


def _concurrent_appends(api: Api) -> bool:
    uid = api.create(FIT[:1], start=5)
    threads = [threading.Thread(target=api.change, args=(uid, "append", [imei])) for imei in FIT[10:60]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return set(api.devices(uid)) == {FIT[0], *FIT[10:60]}


def _started_change(api: Api) -> int:
    uid = api.create(FIT[:2], start=1)
    api.to_day(1)
    return api.change(uid, "append", FIT[5:6]).status_code


def _cancel_then_run(api: Api) -> str:
    uid = api.create(FIT[:1], start=1)
    api.cancel(uid)
    api.to_day(3)
    return api.status(uid)


def _cancel_started(api: Api) -> int:
    uid = api.create(FIT[:1], start=1)
    api.to_day(1)
    return api.cancel(uid).status_code


def _devicelist(api: Api) -> tuple[int, int]:
    request = body(FIT[:1])
    request["devicelist"] = request.pop("deviceList")
    r = api.schedule(request)
    return r.status_code, len(r.json()["deviceList"]) if r.status_code == 200 else -1


def _reload_keeps(api: Api) -> int:
    uid = api.create()
    api.reset()
    return api.get(uid).status_code


def _two_runs(api: Api) -> bool:
    runs = []
    for _ in range(2):
        api.reset()
        runs.append(_lifecycle(api, FIT[:1], [0, 1, 2]))
    return runs[0] == runs[1]


def _firmware_updates(api: Api) -> str:
    _lifecycle(api, FIT[:1], [2], start=1)
    return _lifecycle(api, FIT[:1], [0], start=5)[-1]


def _cancel_queued(api: Api) -> str:
    uid = api.create(FIT[:1], start=5)
    api.advance()  # decided: Queued
    api.cancel(uid)
    return api.status(uid)


def _unknown_field(api: Api) -> int:
    return api.schedule(body(FIT[:1], note="x")).status_code


_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _duplicate_device_list_key(api: Api) -> int:
    text = json.dumps(body(FIT[:1]))
    return api.schedule(content=(text[:-1] + f', "deviceList": ["{FIT[1]}"]}}').encode()).status_code


def _append_twice(api: Api) -> list[str]:
    answer = api.change(api.create(FIT[:1]), "append", [FIT[1], FIT[1]]).json()
    return [item["status"] for item in answer["deviceList"]]


FAULT_PROBES: dict[str, Probe] = {
    "wire02-crash-on-long-header": Probe(lambda api: api.schedule(
        headers={"Authorization": "Bearer " + "x" * 5000, "VZ-M2M-Token": "m2m-alpha"}).status_code, 401, 500),
    "wire02-crash-on-long-device-list": Probe(
        lambda api: api.schedule(body([f"35{i:013d}" for i in range(1001)])).status_code, 200, 500),
    "wire02-crash-on-duplicate-key": Probe(_duplicate_device_list_key, 200, 500),
    "wire02-crash-on-extreme-date": Probe(
        lambda api: api.schedule(body(FIT[:1], endDate="9999-12-31")).status_code, 200, 500),
    "auth03-m2m-case-insensitive": Probe(lambda api: api.schedule(
        headers={"Authorization": "Bearer bearer-alpha", "VZ-M2M-Token": "M2M-ALPHA"}).status_code, 400, 200),
    "post03-impossible-date-rolled": Probe(
        lambda api: api.schedule(body(FIT[:1], startDate="2027-02-30")).status_code, 400, 200),
    "post03-unicode-digit-date": Probe(
        lambda api: api.schedule(body(FIT[:1], startDate=day(2).translate(_ARABIC))).status_code, 400, 200),
    "post03-null-device-skipped": Probe(lambda api: api.schedule(body([FIT[0], None])).status_code, 400, 200),
    "post04-unicode-digit-imei": Probe(
        lambda api: _lifecycle(api, [FIT[0][:-1] + FIT[0][-1].translate(_ARABIC)], [0]), ["RequestFailed"],
        ["Queued"]),
    "post04-empty-firmware-to-ignored": Probe(lambda api: _lifecycle(api, FIT[:1], [0], firmwareTo=""),
                                              ["RequestFailed"], ["Queued"]),
    "put03-duplicate-append-succeeds": Probe(_append_twice, ["AddDeviceSucceed", "AddDeviceFailed"],
                                             ["AddDeviceSucceed", "AddDeviceSucceed"]),
    "put06-type-whitespace-stripped": Probe(
        lambda api: api.change(api.create(FIT[:1]), " append", FIT[1:2]).status_code, 400, 200),
    "wire01-text-errors": Probe(lambda api: _media(api, api.schedule({})), "application/json",
                                 "text/plain; charset=utf-8"),
    "wire01-text-started-details": Probe(_started_details_media, ("application/json", "application/json"),
                                         ("application/json", "text/plain; charset=utf-8")),
    "wire02-crash-on-number-imei": Probe(lambda api: api.schedule(body([990003425730535])).status_code, 400, 500),
    "wire03-reject-star": Probe(
        lambda api: api.put_raw(api.create(), json.dumps({"type": "append", "deviceList": FIT[5:6]}).encode(),
                                content_type="*/*").status_code, 200, 415),
    "wire04-reject-idempotency-key": Probe(
        lambda api: api.schedule(headers={**ALPHA, "Idempotency-Key": "k-1"}).status_code, 200, 400),
    "wire04-reject-unknown-field": Probe(_unknown_field, 200, 400),
    "wire05-422-detail": Probe(lambda api: (lambda r: (r.status_code, sorted(r.json())))(
        api.schedule(content=b"{nope")), (400, ["errorCode", "errorMessage"]), (422, ["detail"])),
    "auth01-bearer-optional": Probe(
        lambda api: api.schedule(headers={"VZ-M2M-Token": "m2m-alpha"}).status_code, 401, 200),
    "auth01-body-before-auth": Probe(
        lambda api: api.schedule({}, headers={"VZ-M2M-Token": "m2m-alpha"}).status_code, 401, 400),
    "auth02-any-bearer": Probe(lambda api: api.schedule(
        headers={"Authorization": "Bearer guess", "VZ-M2M-Token": "m2m-alpha"}).status_code, 401, 200),
    "auth03-m2m-ignored": Probe(
        lambda api: api.schedule(headers={"Authorization": "Bearer bearer-alpha"}).status_code, 400, 200),
    "auth04-no-isolation": Probe(
        lambda api: api.schedule(body(B_DEVICES[:1], accountName=ACCOUNT_B)).status_code, 400, 200),
    "post01-queued-at-once": Probe(lambda api: api.schedule().json()["status"], "RequestPending", "Queued"),
    "post01-start-date-shifted": Probe(lambda api: api.schedule(body(start=4)).json()["startDate"], day(4), day(5)),
    "post02-repeat-id": Probe(lambda api: api.schedule().json()["id"] == api.schedule().json()["id"], False, True),
    "post03-empty-device-list": Probe(lambda api: api.schedule(body([])).status_code, 400, 200),
    "post03-devicelist-ignored": Probe(_devicelist, (400, -1), (200, 0)),
    "post04-mismatch-queued": Probe(lambda api: _lifecycle(api, [FIT[0], MODEL_B[0]], [0]),
                                    ["RequestFailed"], ["Queued"]),
    "put01-append-not-kept": Probe(
        lambda api: (lambda uid: (api.change(uid, "append", FIT[5:6]), api.devices(uid))[1])(api.create(FIT[:1])),
        [FIT[0], FIT[5]], [FIT[0]]),
    "put01-lost-concurrent-appends": Probe(_concurrent_appends, True, False),
    "put02-remove-not-kept": Probe(
        lambda api: (lambda uid: (api.change(uid, "remove", FIT[1:2]), api.devices(uid))[1])(api.create(FIT[:2])),
        [FIT[0]], FIT[:2]),
    "put03-false-success": Probe(
        lambda api: api.change(api.create(FIT[:1]), "append", FIT[:1]).json()["deviceList"][0]["status"],
        "AddDeviceFailed", "AddDeviceSucceed"),
    "put04-change-after-start": Probe(_started_change, 400, 200),
    "put05-unknown-id-200": Probe(lambda api: api.change(NEVER_ISSUED, "append", FIT[:1]).status_code, 400, 200),
    "put06-type-unchecked": Probe(
        lambda api: api.request("PUT", f"/upgrades/0000123456-00001/upgrade/{api.create()}", headers=ALPHA,
                                json={"type": "replace", "deviceList": FIT[5:6]}).status_code, 400, 200),
    "put07-lowercase-reason": Probe(
        lambda api: sorted(api.change(api.create(), "append", FIT[5:6]).json()["deviceList"][0]),
        ["Reason", "deviceId", "status"], ["deviceId", "reason", "status"]),
    "life01-scheduled-status": Probe(lambda api: _lifecycle(api, FIT[:1], [0]), ["Queued"], ["Scheduled"]),
    "life02-bad-edge": Probe(lambda api: _lifecycle(api, UNREACHABLE[:1], [0, 1]),
                             ["Queued", "UpgradeFailed"], ["Queued", "RequestFailed"]),
    "life02-terminal-changes": Probe(lambda api: _lifecycle(api, FIT[:1], [2, 3]),
                                     ["Finished", "Finished"], ["Finished", "UpgradeFailed"]),
    "life03-early-start": Probe(lambda api: _lifecycle(api, FIT[:1], [0, 2], start=3),
                                ["Queued", "Queued"], ["Queued", "InProgress"]),
    "life04-get-stale-devices": Probe(
        lambda api: (lambda uid: (api.change(uid, "remove", FIT[1:2]), api.devices(uid))[1])(api.create(FIT[:2])),
        [FIT[0]], FIT[:2]),
    "life05-never-ends": Probe(lambda api: _lifecycle(api, [FIT[0], UNREACHABLE[0]], [1, 12], endDate=day(3)),
                               ["InProgress", "Finished"], ["InProgress", "InProgress"]),
    "life06-cancel-ignored": Probe(_cancel_then_run, "<400>", "Finished"),
    "life06-cancel-started": Probe(_cancel_started, 400, 200),
    "sim01-reset-keeps-campaigns": Probe(_reload_keeps, 400, 200),
    "sim02-clock-backwards": Probe(lambda api: (api.advance(timedelta(days=1)),
                                                api.set_clock(api.now() - timedelta(hours=1)).status_code)[1],
                                   400, 200),
    "sim02-lazy-transitions": Probe(lambda api: _lifecycle(api, FIT[:1], [1, 2]),
                                    ["InProgress", "Finished"], ["Queued", "InProgress"]),
    "sim03-nondeterministic": Probe(_two_runs, True, False),
    "sim04-decide-late": Probe(lambda api: _lifecycle(api, FIT[:1], [0, 0]),
                               ["Queued", "Queued"], ["RequestPending", "Queued"]),
}

VARIANT_PROBES: dict[str, Probe] = {
    "sync-refusal": Probe(lambda api: api.schedule(body(FIT[:1], firmwareName="FOTA_Nope")).status_code, 200, 400),
    "whole-request-400": Probe(lambda api: api.change(api.create(FIT[:1]), "append", FIT[:2]).status_code, 200, 400),
    "unknown-id-404": Probe(lambda api: api.get(NEVER_ISSUED).status_code, 400, 404),
    "errorcode-401": Probe(lambda api: sorted(api.schedule(headers={}).json()), ["fault"],
                           ["errorCode", "errorMessage"]),
    "m2m-401": Probe(lambda api: api.schedule(headers={"Authorization": "Bearer bearer-alpha"}).status_code, 400, 401),
    "charset-json": Probe(lambda api: _media(api, api.schedule()), "application/json",
                          "application/json; charset=utf-8"),
    "devicelist-alias": Probe(_devicelist, (400, -1), (200, 1)),
    "past-start-refused": Probe(lambda api: api.schedule(body(start=-1)).status_code, 200, 400),
    "firmware-updates": Probe(_firmware_updates, "Queued", "RequestFailed"),
    "cancel-as-failed": Probe(lambda api: (lambda uid: (api.cancel(uid), api.status(uid))[1])(api.create()),
                              "<400>", "RequestFailed"),
    "cancel-as-request-failed": Probe(_cancel_queued, "<400>", "RequestFailed"),
    "extra-fields": Probe(lambda api: {"endDate", "notes"} <= set(api.schedule(body(endDate=day(9))).json()),
                          False, True),
    "errors-quote-request": Probe(lambda api: "(request: " in api.get(NEVER_ISSUED).json()["errorMessage"],
                                  False, True),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_breaks_the_behaviour_it_names(name: str, api: Api, simulator_with: Callable[..., Api]) -> None:
    assert name in FAULT_PROBES, f"fault {name!r} has no probe in {__name__}"
    probe = FAULT_PROBES[name]
    assert probe.clean != probe.switched
    assert probe.run(api) == probe.clean
    faulty = simulator_with(name)
    assert probe.run(faulty) == probe.switched


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_switches_to_its_allowed_branch(name: str, api: Api, simulator_with: Callable[..., Api]) -> None:
    assert name in VARIANT_PROBES, f"variant {name!r} has no probe in {__name__}"
    probe = VARIANT_PROBES[name]
    assert probe.clean != probe.switched
    assert probe.run(api) == probe.clean
    variant = simulator_with(name)
    assert probe.run(variant) == probe.switched


def test_every_probe_names_a_catalogue_entry() -> None:
    assert set(FAULT_PROBES) == set(FAULTS) and set(VARIANT_PROBES) == set(VARIANTS)
