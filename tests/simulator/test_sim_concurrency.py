"""Concurrency: one lock around the model state, so concurrent requests lose nothing (PUT-01, POST-02)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from simkit import FIT, Api, body


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at the same moment; their results in order."""
    results: list[Any] = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i: int) -> None:
        gate.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _fifty_appends(api: Api) -> tuple[list[int], set[str], set[str]]:
    uid = api.create(FIT[:1], start=5)
    wanted = FIT[10:60]
    answers = _together([lambda imei=imei: api.change(uid, "append", [imei]) for imei in wanted])
    statuses = [r.status_code for r in answers]
    reported = {r.json()["deviceList"][0]["deviceId"] for r in answers
                if r.json()["deviceList"][0]["status"] == "AddDeviceSucceed"}
    return statuses, reported, set(api.devices(uid)) - {FIT[0]}


def test_put01_fifty_concurrent_appends_of_distinct_devices_are_all_kept(api: Api) -> None:
    statuses, reported, present = _fifty_appends(api)
    assert statuses == [200] * 50
    assert reported == set(FIT[10:60]) == present


def test_put01_the_concurrency_test_can_fail(simulator_with: Callable[..., Api]) -> None:
    """With the planted race, appends are lost although each one reported success."""
    statuses, reported, present = _fifty_appends(simulator_with("put01-lost-concurrent-appends"))
    assert statuses == [200] * 50 and reported == set(FIT[10:60])
    assert len(present) < 50


def test_post02_concurrent_schedules_get_distinct_ids(api: Api) -> None:
    answers = _together([lambda: api.schedule(body(FIT[:1])) for _ in range(30)])
    assert len({r.json()["id"] for r in answers}) == 30


@pytest.mark.parametrize("rounds", [3])
def test_concurrent_appends_removes_and_clock_moves_stay_consistent(api: Api, rounds: int) -> None:
    uid = api.create(FIT[:10], start=30)
    for _ in range(rounds):
        calls: list[Callable[[], Any]] = [lambda i=i: api.change(uid, "remove", [FIT[i]]) for i in range(10)]
        calls += [lambda i=i: api.change(uid, "append", [FIT[20 + i]]) for i in range(10)]
        calls += [lambda: api.advance()]
        _together(calls)
        present = api.devices(uid)
        assert sorted(present) == sorted(FIT[20:30])
        _together([lambda i=i: api.change(uid, "remove", [FIT[20 + i]]) for i in range(10)]
                  + [lambda i=i: api.change(uid, "append", [FIT[i]]) for i in range(10)])
        assert sorted(api.devices(uid)) == sorted(FIT[:10])
