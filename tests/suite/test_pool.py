"""The device economy (suite/pool.py) on the answers a target can give: a device comes back only when
the target has shown it is free, and is never lent while a campaign may hold it. (Whole runs against
the reference simulator are in test_field.py; here each rule of the economy, one answer at a time.)"""

from __future__ import annotations

import json
from typing import Any

from fieldkit import small_world

from conformance.suite.http import Exchange
from conformance.suite.pool import Pool

WORLD = small_world()
ALPHA = WORLD.credentials[0]
ACC = ALPHA.accounts[0]
F1, F2, F3 = "990003425730535", "990000473475989", "350000000010001"


def answer(status: int | None, body: Any = None) -> Exchange:
    raw = json.dumps(body).encode() if body is not None else b""
    return Exchange("X", "http://t/x", {}, None, status, {"content-type": "application/json"}, raw)


def created(pool: Pool, uid: str, devices: list[str]) -> None:
    pool.after_schedule({"accountName": ACC, "deviceList": devices},
                        answer(200, {"id": uid, "accountName": ACC, "status": "RequestPending"}), ALPHA)


def read(devices: list[str] | None, status: str = "RequestPending", code: int = 200) -> Exchange:
    if code != 200:
        return answer(code, {"errorCode": "X", "errorMessage": "gone"})
    return answer(200, {"status": status, "deviceList": [{"deviceId": d} for d in devices or []]})


def test_lent_to_one_check_at_a_time_and_back_when_it_ends() -> None:
    pool = Pool(WORLD)
    assert pool.take([F1, F2], 2, "a") == [F1, F2]
    assert pool.take([F1, F2, F3], 2, "b") is None  # F1, F2 are a's
    pool.after_schedule({"deviceList": [F1]}, answer(400, {"errorCode": "E", "errorMessage": "m"}), ALPHA)
    assert not pool.is_free(F1)  # refused, but still the check's until it ends
    assert pool.give_back("a") == {F1, F2}
    assert pool.take([F1, F2], 2, "b") == [F1, F2]


def test_a_campaign_holds_its_devices_until_cancelled_and_read_back() -> None:
    pool = Pool(WORLD)
    pool.take([F1], 1, "a")
    created(pool, "u1", [F1])
    pool.give_back("a")
    assert not pool.is_free(F1)
    pool.after_read(ACC, "u1", read([]), ALPHA)  # not cancelled: a read alone proves nothing
    assert not pool.is_free(F1)
    pool.after_cancel(ACC, "u1", answer(200, {"success": True}))
    assert not pool.is_free(F1)  # DELETE said success: the suite still waits for a read
    pool.after_read(ACC, "u1", read([F1], "Queued"), ALPHA)
    assert not pool.is_free(F1)  # the target still holds it (its DELETE did nothing)
    pool.after_read(ACC, "u1", read(None, code=404), WORLD.credentials[1])
    assert not pool.is_free(F1)  # another account's read says nothing about alpha's campaign
    pool.after_read(ACC, "u1", read(None, code=404), ALPHA)
    assert pool.is_free(F1)


def test_terminal_campaigns_and_confirmed_removals_give_devices_back() -> None:
    pool = Pool(WORLD)
    created(pool, "u1", [F1, F2])
    pool.after_change(ACC, "u1", {"type": "remove", "deviceList": [F2]},
                      answer(200, {"deviceList": [{"deviceId": F2, "status": "RemoveDeviceSucceed"}]}))
    assert not pool.is_free(F2)
    pool.after_read(ACC, "u1", read([F1, F2]), ALPHA)
    assert not pool.is_free(F2)  # "removed", yet still listed
    pool.after_read(ACC, "u1", read([F1]), ALPHA)
    assert pool.is_free(F2) and not pool.is_free(F1)
    pool.after_read(ACC, "u1", read([F1], "RequestFailed"), ALPHA)
    assert pool.is_free(F1)


def test_an_answer_that_is_neither_success_nor_refusal_loses_the_device() -> None:
    pool = Pool(WORLD)
    pool.take([F1, F2], 2, "a")
    pool.after_schedule({"deviceList": [F1]}, answer(500, {}), ALPHA)
    created(pool, "u1", [F2])
    pool.after_change(ACC, "u1", {"type": "add", "deviceList": [F3]}, answer(200, {"deviceList": []}))
    pool.give_back("a")
    assert not pool.is_free(F1) and "500" in pool.summary()["lost"][F1]
    assert not pool.is_free(F3), "a PUT success of any type but remove may have added the device"
    assert pool.take([F1, F2, F3], 1, "b") is None
