"""Helpers for the client-gate tests: a strict simulator (the judge hooked in, as ``simulate
--strict`` does), recording a client into a real vcrpy cassette, and the catalogue of small faulty
clients — one per CLIENT rule, each breaking exactly that rule — plus one well-behaved client.

Every client here is plain httpx over real HTTP; each starts by reading the simulator's clock, as a
client's own tests would, to pick its dates (and so the clock is in a recording too).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import vcr

from conformance.client import ClientJudge, ClientRequest, vcr_filter_headers
from conformance.simulator import RunningSimulator, start
from conformance.spec.world import ACCOUNT_A, FW_A, default_world

BEARER, M2M = "bearer-alpha", "m2m-alpha"
GOOD = {"Authorization": f"Bearer {BEARER}", "VZ-M2M-Token": M2M}
DEVICES = [f"35000000001{n:04d}" for n in range(41, 61)]  # this module's slice of the built-in world


@dataclass
class Strict:
    running: RunningSimulator
    judge: ClientJudge

    @property
    def base_url(self) -> str:
        return self.running.base_url


@contextmanager
def strict_simulator() -> Iterator[Strict]:
    """A reference simulator judging every request, wired exactly as ``simulate --strict`` wires it."""
    world = default_world()
    judge = ClientJudge(target="test", control_plane=True,
                        secrets=[s for c in world.credentials for s in (c.bearer, c.m2m)])
    with start(world=world, observer=lambda record: judge.observe(ClientRequest(**record)),
               client_report=judge.report) as running:
        yield Strict(running, judge)


def recorder() -> vcr.VCR:
    # record_mode "all": always talk to the live simulator and write what happened.
    return vcr.VCR(record_mode="all", filter_headers=vcr_filter_headers(), decode_compressed_response=True)


@contextmanager
def recording(path: Path) -> Iterator[RunningSimulator]:
    """A plain (not strict) simulator, every request to it recorded into the cassette at ``path``."""
    with start(world=default_world()) as running, recorder().use_cassette(str(path)):
        yield running


# --- the clients ---------------------------------------------------------------------------------

def today(http: httpx.Client) -> date:
    answer = http.get("/__control/clock")
    answer.raise_for_status()
    return date.fromisoformat(answer.json()["now"][:10])


def schedule_body(start_day: date, devices: list[str], **extra: Any) -> dict[str, Any]:
    return {"accountName": ACCOUNT_A, "firmwareName": FW_A.name, "startDate": start_day.isoformat(),
            "deviceList": devices, **extra}


def schedule(http: httpx.Client, start_day: date, devices: list[str]) -> str:
    answer = http.post("/upgrades", json=schedule_body(start_day, devices), headers=GOOD)
    assert answer.status_code == 200, answer.text
    upgrade_id: str = answer.json()["id"]
    return upgrade_id


def item(upgrade_id: str) -> str:
    return f"/upgrades/{ACCOUNT_A}/upgrade/{upgrade_id}"


def well_behaved(http: httpx.Client) -> None:
    """Schedule, read, append, remove, read, cancel: everything a careful client does."""
    day = today(http) + timedelta(days=7)
    upgrade_id = schedule(http, day, DEVICES[0:2])
    assert http.get(item(upgrade_id), headers=GOOD).status_code == 200
    for kind, devices in (("append", DEVICES[2:4]), ("remove", DEVICES[3:4])):
        answer = http.put(item(upgrade_id), json={"type": kind, "deviceList": devices}, headers=GOOD)
        assert answer.status_code == 200, answer.text
    assert http.get(item(upgrade_id), headers=GOOD).json()["status"] in ("RequestPending", "Queued")
    assert http.delete(item(upgrade_id), headers=GOOD).json() == {"success": True}


def no_session_token(http: httpx.Client) -> None:  # CLIENT-01
    day = today(http) + timedelta(days=7)
    answer = http.post("/upgrades", json=schedule_body(day, DEVICES[0:1]),
                       headers={"Authorization": f"Bearer {BEARER}"})
    assert answer.status_code in (400, 401)


def basic_auth(http: httpx.Client) -> None:  # CLIENT-02
    day = today(http) + timedelta(days=7)
    answer = http.post("/upgrades", json=schedule_body(day, DEVICES[0:1]),
                       headers={"Authorization": f"Basic {BEARER}", "VZ-M2M-Token": M2M})
    assert answer.status_code == 401


def text_plain_body(http: httpx.Client) -> None:  # CLIENT-03
    day = today(http) + timedelta(days=7)
    answer = http.post("/upgrades", content=json.dumps(schedule_body(day, DEVICES[0:1])),
                       headers={**GOOD, "Content-Type": "text/plain"})
    assert answer.status_code == 200  # the tolerant simulator takes it; the vendor need not


def datetime_start(http: httpx.Client) -> None:  # CLIENT-04 (what the vendor's older SDKs sent)
    day = today(http) + timedelta(days=7)
    answer = http.post("/upgrades", json=schedule_body(day, DEVICES[0:1]) | {
        "startDate": f"{day.isoformat()}T16:03:00.000Z"}, headers=GOOD)
    assert answer.status_code == 400


def unknown_change_type(http: httpx.Client) -> None:  # CLIENT-05
    upgrade_id = schedule(http, today(http) + timedelta(days=7), DEVICES[0:1])
    answer = http.put(item(upgrade_id), json={"type": "add", "deviceList": DEVICES[1:2]}, headers=GOOD)
    assert answer.status_code == 400


def example_spelling(http: httpx.Client) -> None:  # CLIENT-06 (the vendor's own example request)
    body = schedule_body(today(http) + timedelta(days=7), [])
    body["devicelist"] = body.pop("deviceList") or DEVICES[0:1]
    answer = http.post("/upgrades", json=body, headers=GOOD)
    assert answer.status_code in (200, 400)


def end_before_start(http: httpx.Client) -> None:  # CLIENT-07
    day = today(http) + timedelta(days=7)
    body = schedule_body(day, DEVICES[0:1], endDate=(day - timedelta(days=1)).isoformat())
    answer = http.post("/upgrades", json=body, headers=GOOD)
    assert answer.status_code in (200, 400)


def cancel_after_start(http: httpx.Client) -> None:  # CLIENT-08
    now = today(http)
    upgrade_id = schedule(http, now, DEVICES[0:1])  # starts today
    http.put("/__control/clock", json={"now": f"{now.isoformat()}T00:00:01Z"}).raise_for_status()
    assert http.get(item(upgrade_id), headers=GOOD).json()["status"] == "InProgress"
    assert http.delete(item(upgrade_id), headers=GOOD).status_code == 400  # too late, and it was told


def blind_retry(http: httpx.Client) -> None:  # CLIENT-09
    body = schedule_body(today(http) + timedelta(days=7), DEVICES[0:1])
    http.put("/__control/outage", json={"requests": 1}).raise_for_status()
    assert http.post("/upgrades", json=body, headers=GOOD).status_code == 503
    assert http.post("/upgrades", json=body, headers=GOOD).status_code == 200  # …and now maybe two campaigns


def hammer(http: httpx.Client) -> None:  # CLIENT-10
    today(http)
    missing = item(str(uuid.uuid4()))
    for _ in range(3):
        assert 400 <= http.get(missing, headers=GOOD).status_code < 500


#: rule → the faulty client that breaks it (and nothing else).
FAULTY: dict[str, Callable[[httpx.Client], None]] = {
    "CLIENT-01": no_session_token,
    "CLIENT-02": basic_auth,
    "CLIENT-03": text_plain_body,
    "CLIENT-04": datetime_start,
    "CLIENT-05": unknown_change_type,
    "CLIENT-06": example_spelling,
    "CLIENT-07": end_before_start,
    "CLIENT-08": cancel_after_start,
    "CLIENT-09": blind_retry,
    "CLIENT-10": hammer,
}


def http_client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=10.0, trust_env=False)


def problems(report: dict[str, Any]) -> dict[str, str]:
    """rule → outcome, for every rule that failed or warned."""
    return {rid: e["outcome"] for rid, e in report["rules"].items() if e["outcome"] in ("failed", "warned")}
