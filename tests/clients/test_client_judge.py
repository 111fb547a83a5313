"""The judge as a pure function (``judge_requests``): table-driven variants of each body rule, so
every way a body can be wrong lands on the one rule that owns it; and the outage control call that
lets a client's tests (and CLIENT-09's proof) see a 5xx."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from gate import GOOD, http_client, problems

from conformance.client import ClientRequest, judge_requests
from conformance.simulator import start
from conformance.spec.world import ACCOUNT_A, FW_A, default_world

BASE = "http://127.0.0.1:9/api/fota/v1"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ITEM = f"{BASE}/upgrades/{ACCOUNT_A}/upgrade/e3a8d88a-04c6-4ef3-b039-89b62f91e962"
GOOD_POST = {"accountName": ACCOUNT_A, "firmwareName": FW_A.name, "startDate": "2026-03-08",
             "deviceList": ["990003425730535"]}
JSON = {**GOOD, "Content-Type": "application/json"}


def post(body: Any, headers: dict[str, str] = JSON, status: int = 200) -> ClientRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ClientRequest("POST", f"{BASE}/upgrades", dict(headers), raw, status, now=NOW)


def put(body: Any, headers: dict[str, str] = JSON) -> ClientRequest:
    return ClientRequest("PUT", ITEM, dict(headers), json.dumps(body).encode(), 400, now=NOW)


def judged(*requests: ClientRequest) -> dict[str, str]:
    return problems(judge_requests(requests, target="test"))


@pytest.mark.parametrize(("request_", "expected"), [
    (post(GOOD_POST), {}),
    (post(GOOD_POST | {"deviceList": [990003425730535]}), {"CLIENT-04": "failed"}),  # IMEI as a number
    (post(GOOD_POST | {"deviceList": []}), {"CLIENT-04": "failed"}),
    (post({k: v for k, v in GOOD_POST.items() if k != "firmwareName"}), {"CLIENT-04": "failed"}),
    (post(GOOD_POST | {"startDate": "01/04/2026"}), {"CLIENT-04": "failed"}),
    (post(GOOD_POST | {"endDate": "2026-03-07"}), {"CLIENT-07": "failed"}),
    (post(GOOD_POST | {"startDate": "2026-02-28"}), {"CLIENT-07": "failed"}),  # the day before NOW
    (post(GOOD_POST | {"startDate": "2026-03-01"}), {}),  # today is fine
    (post(GOOD_POST | {"deviceList": ["12"]}), {}),  # a malformed IMEI is the target's per-device call
    (post(b'{"accountName": '), {"CLIENT-03": "failed"}),
    (post([GOOD_POST]), {"CLIENT-03": "failed"}),
    (post(GOOD_POST, headers=GOOD), {"CLIENT-03": "failed"}),  # no Content-Type
    (post(GOOD_POST, headers={**GOOD, "Content-Type": "*/*"}), {"CLIENT-03": "failed"}),  # */* is PUT's
    (post(GOOD_POST, headers={**GOOD, "Content-Type": "application/json; charset=utf-8"}), {}),
    (post(GOOD_POST, headers={"VZ-M2M-Token": "m2m-alpha", "Content-Type": "application/json"}),
     {"CLIENT-01": "failed"}),
    (post(GOOD_POST, headers={**JSON, "Authorization": "bearer-alpha"}), {"CLIENT-02": "failed"}),
    (post(GOOD_POST, headers={**JSON, "Authorization": "bearer bearer-alpha"}), {}),  # RFC 7235
    (put({"type": "append", "deviceList": ["990003425730535"]}, headers={**GOOD, "Content-Type": "*/*"}), {}),
    (put({"type": "replace", "deviceList": ["990003425730535"]}), {"CLIENT-05": "failed"}),
    (put({"type": "append", "deviceList": "990003425730535"}), {"CLIENT-05": "failed"}),
    (put({"type": "append", "devicelist": ["990003425730535"]}), {"CLIENT-06": "failed"}),
    (put({"type": "append", "deviceList": ["990003425730535"], "note": "x"}), {"CLIENT-06": "warned"}),
])
def test_each_way_a_request_is_wrong_lands_on_one_rule(request_: ClientRequest, expected: dict[str, str]) -> None:
    assert judged(request_) == expected


def test_control_calls_and_other_paths_are_not_judged_but_counted() -> None:
    report = judge_requests([
        ClientRequest("GET", f"{BASE}/__control/clock", {}, None, 200,
                      response_body=b'{"now": "2026-03-01T00:00:00Z"}'),
        ClientRequest("GET", f"{BASE}/firmware/{ACCOUNT_A}", dict(GOOD), None, 404),
    ], target="test")
    assert report["requests"] == 0 and report["not_judged"] == [f"1 × GET /api/fota/v1/firmware/{ACCOUNT_A}"]
    assert all(e["outcome"] == "skipped" for e in report["rules"].values())


def test_the_clock_of_a_recording_comes_from_its_control_calls() -> None:
    clock = ClientRequest("PUT", f"{BASE}/__control/world", {}, json.dumps({"now": "2026-03-01T00:00:00Z"}).encode(),
                          204)
    stale = ClientRequest("POST", f"{BASE}/upgrades", dict(JSON), json.dumps(GOOD_POST | {"startDate": "2026-02-01"})
                          .encode(), 200)
    assert judged(stale) == {}  # no clock known: not judged (and said so)
    assert judged(clock, stale) == {"CLIENT-07": "failed"}


def test_a_tiny_token_is_masked_in_headers_without_garbling_the_report() -> None:
    report = judge_requests([post(GOOD_POST, headers={**JSON, "Authorization": "Basic a"})], target="test")
    (finding,) = report["rules"]["CLIENT-02"]["findings"]
    assert "'Authorization: Basic ***'" in finding["reproduction"][0]
    assert "accountName" in finding["reproduction"][0]  # the letter "a" was not masked everywhere


def test_the_outage_control_call() -> None:
    with start(world=default_world()) as running, http_client(running.base_url) as http:
        for bad in ({"requests": -1}, {"requests": 1, "status": 404}, {"requests": "1"}, []):
            assert http.put("/__control/outage", json=bad).status_code == 400
        assert http.put("/__control/outage", json={"requests": 2, "status": 502}).json() == {
            "requests": 2, "status": 502}
        missing = f"/upgrades/{ACCOUNT_A}/upgrade/e3a8d88a-04c6-4ef3-b039-89b62f91e962"
        assert http.get("/__control/clock").status_code == 200  # the control plane is not affected
        statuses = [http.get(missing, headers=GOOD).status_code for _ in range(3)]
        assert statuses[:2] == [502, 502] and statuses[2] in (400, 404)
        answer = http.put("/__control/outage", json={"requests": 1})
        assert answer.json() == {"requests": 1, "status": 503}
        failed = http.get(missing, headers=GOOD)
        assert failed.status_code == 503 and failed.json()["errorCode"]


def test_the_public_surface_of_the_client_gate() -> None:
    import conformance.client as gate

    assert sorted(gate.__all__) == sorted(["REPORT_KIND", "ClientJudge", "ClientRequest", "judge_cassette",
                                           "judge_requests", "vcr_filter_headers"])
    for name in gate.__all__:
        assert hasattr(gate, name)
