"""WIRE and AUTH rules over HTTP, and malformed input of every kind (never a 5xx)."""

from __future__ import annotations

import json

import pytest
from simkit import ACCOUNT_A, ACCOUNT_B, ALPHA, B_DEVICES, BETA, FIT, NEVER_ISSUED, Api, body, day, is_error

from conformance.simulator import RunningSimulator


def count(server: RunningSimulator) -> int:
    return len(server.simulator.campaigns())


# --- WIRE ---------------------------------------------------------------------------------------

def test_wire01_every_answer_of_every_operation_is_json(api: Api) -> None:
    uid = api.create()
    answers = [
        api.schedule(), api.schedule({}), api.schedule(headers={}),
        api.change(uid, "append", FIT[5:6]), api.change(uid, "append", FIT[5:6]), api.change(uid, "x", []),
        api.get(uid), api.get(NEVER_ISSUED), api.cancel(uid), api.cancel(uid),
        api.request("GET", f"/upgrades/{ACCOUNT_A}/upgrade/not-a-uuid", headers=ALPHA),
        api.request("PATCH", "/upgrades", headers=ALPHA), api.request("GET", "/no/such/path"),
    ]
    for r in answers:
        assert r.headers["content-type"] == "application/json", (r.request.method, r.status_code)
        json.loads(r.content)


@pytest.mark.parametrize("name, payload, content_type", [
    ("not JSON", b"{not json", "application/json"),
    ("truncated", b'{"accountName": "0000123456-00001", ', "application/json"),
    ("empty", b"", "application/json"),
    ("whitespace", b"   \n", "application/json"),
    ("JSON array", b"[]", "application/json"),
    ("JSON string", b'"x"', "application/json"),
    ("JSON null", b"null", "application/json"),
    ("NaN", b'{"accountName": NaN}', "application/json"),
    ("huge number", b'{"deviceList": [' + b"9" * 5000 + b"]}", "application/json"),
    ("1e999", b'{"accountName": 1e999}', "application/json"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("invalid UTF-8", b'{"accountName": "\xff\xfe"}', "application/json"),
    ("UTF-16", json.dumps(body()).encode("utf-16"), "application/json"),
    ("lone surrogate", b'{"accountName": "\\ud800", "firmwareName": "\\udfff"}', "application/json"),
    ("NUL and control chars", json.dumps(body(firmwareName="a\x00b\x1b[31m")).encode(), "application/json"),
    ("odd unicode", json.dumps(body(firmwareName="ʕ•ᴥ•ʔ" * 50, accountName="٠١٢٣٤٥٦٧٨٩-٠١٢٣٤")).encode(),
     "application/json"),
    ("long string", json.dumps(body(firmwareName="x" * 200_000)).encode(), "application/json"),
    ("wrong types", json.dumps({"accountName": 1, "firmwareName": [], "startDate": {}, "deviceList": "x"}).encode(),
     "application/json"),
    ("nulls", json.dumps({k: None for k in body()}).encode(), "application/json"),
    ("bool IMEI", json.dumps(body([True])).encode(), "application/json"),
    ("nested IMEI", json.dumps(body([["990003425730535"]])).encode(), "application/json"),
    ("date-time startDate", json.dumps(body(startDate="2026-03-03T00:00:00Z")).encode(), "application/json"),
    ("impossible date", json.dumps(body(startDate="2026-02-30")).encode(), "application/json"),
    ("year 0", json.dumps(body(startDate="0000-01-01")).encode(), "application/json"),
    ("XML", b"<upgrade/>", "application/xml"),
    ("form", b"accountName=0000123456-00001", "application/x-www-form-urlencoded"),
    ("text/plain JSON", json.dumps(body()).encode(), "text/plain"),
    ("bogus content type", json.dumps(body()).encode(), "\x7f;;;=="),
])
def test_wire02_malformed_schedule_bodies_never_get_a_5xx(api: Api, server: RunningSimulator, name: str,
                                                          payload: bytes, content_type: str) -> None:
    r = api.request("POST", "/upgrades", content=payload, headers={**ALPHA, "Content-Type": content_type})
    assert r.status_code < 500, (name, r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    if r.status_code != 200:  # labels other than JSON are still parsed as JSON (WIRE-03 leniency)
        assert is_error(r), (name, r.text)


def test_wire02_huge_body_is_a_413_error_body(api: Api, server: RunningSimulator) -> None:
    before = count(server)
    for size in (300_000, 5_000_000):
        r = api.request("POST", "/upgrades", content=b'{"a": "' + b"x" * size + b'"}', headers=ALPHA)
        assert r.status_code == 413 and is_error(r)
    r = api.put_raw(NEVER_ISSUED, b"[" + b"1," * 200_000 + b"1]")
    assert r.status_code == 413 and is_error(r)
    assert count(server) == before


@pytest.mark.parametrize("path", [
    f"/upgrades/{ACCOUNT_A}/upgrade/{'x' * 5000}",
    f"/upgrades/{ACCOUNT_A}/upgrade/%00%ff",
    f"/upgrades/{ACCOUNT_A}/upgrade/..%2F..%2Fetc",
    "/upgrades/%F0%9F%92%A9/upgrade/" + NEVER_ISSUED,
    f"/upgrades/{ACCOUNT_A}/upgrade/{NEVER_ISSUED.upper()}",
    f"/upgrades/{ACCOUNT_A}/upgrade/{NEVER_ISSUED}/",
    f"/upgrades/{ACCOUNT_A}/upgrade/",
    "/upgrades/",
])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "POST"])
def test_wire02_odd_paths_never_get_a_5xx(api: Api, method: str, path: str) -> None:
    r = api.request(method, path, headers=ALPHA, json={"type": "append", "deviceList": FIT[:1]})
    assert r.status_code < 500 and is_error(r), (method, path, r.status_code, r.text)


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", "*/*", None,
])
def test_wire03_json_bodies_are_accepted_under_every_label(api: Api, content_type: str | None) -> None:
    headers = dict(ALPHA)
    if content_type is not None:
        headers["Content-Type"] = content_type
    r = api.request("POST", "/upgrades", content=json.dumps(body()).encode(), headers=headers)
    assert r.status_code == 200, r.text
    r = api.put_raw(r.json()["id"], json.dumps({"type": "append", "deviceList": FIT[9:10]}).encode(),
                    content_type=content_type)
    assert r.status_code == 200 and r.json()["deviceList"][0]["status"] == "AddDeviceSucceed"


def test_wire04_unknown_headers_are_ignored(api: Api) -> None:
    sdk_v = {"Idempotency-Key": "0d8e6a62-0e7c-4c1e-b1f5-62b8d9b0a1c3", "User-Agent": "VerizonClient/v1.0 Python",
             "X-APIMatic-Lang": "python", "X-APIMatic-Package-Version": "0.0.1", "accept": "application/json",
             "X-Something-Else": "ignored"}
    r = api.schedule(headers={**ALPHA, **sdk_v})
    assert r.status_code == 200
    uid = r.json()["id"]
    assert api.change(uid, "append", FIT[3:4], headers={**ALPHA, **sdk_v}).status_code == 200
    assert api.get(uid, headers={**ALPHA, **sdk_v}).status_code == 200
    assert api.cancel(uid, headers={**ALPHA, **sdk_v}).json() == {"success": True}


def test_wire04_unknown_body_fields_are_ignored(api: Api) -> None:
    r = api.schedule(body(extra="field", nested={"a": [1]}, endDate=day(8)))
    assert r.status_code == 200, r.text
    assert "extra" not in r.json()
    r = api.request("PUT", f"/upgrades/{ACCOUNT_A}/upgrade/{r.json()['id']}", headers=ALPHA,
                    json={"type": "append", "deviceList": FIT[4:5], "comment": "x"})
    assert r.status_code == 200


@pytest.mark.parametrize("payload", [b"not json", b"{", b"[1, 2]", b'"string"', b"42", b"true", b"null"])
def test_wire05_a_body_that_is_not_a_json_object_is_a_400(api: Api, server: RunningSimulator,
                                                         payload: bytes) -> None:
    uid = api.create()
    before = api.devices(uid)
    r = api.schedule(content=payload)
    assert r.status_code == 400 and is_error(r) and r.json()["errorMessage"].startswith("body: ")
    r = api.put_raw(uid, payload)
    assert r.status_code == 400 and is_error(r)
    assert count(server) == 1 and api.devices(uid) == before


# --- AUTH ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [None, "", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer",
                                           "bearer-alpha", "Token bearer-alpha"])
def test_auth01_missing_or_non_bearer_authorization_is_a_401(api: Api, server: RunningSimulator,
                                                             authorization: str | None) -> None:
    headers = {"VZ-M2M-Token": "m2m-alpha"}
    if authorization is not None:
        headers["Authorization"] = authorization
    uid = api.create()
    for r in (api.schedule(headers=headers), api.change(uid, "append", FIT[7:8], headers=headers),
              api.get(uid, headers=headers), api.cancel(uid, headers=headers)):
        assert r.status_code == 401 and is_error(r)
        assert r.json()["fault"]["code"] == "900902"
    assert count(server) == 1 and api.devices(uid) == FIT[:2] and api.status(uid) == "RequestPending"


def test_auth01_bearer_scheme_is_case_insensitive(api: Api) -> None:
    assert api.schedule(headers={"Authorization": "bearer bearer-alpha", "VZ-M2M-Token": "m2m-alpha"}).status_code \
        == 200


def test_auth02_unknown_bearer_is_a_401(api: Api, server: RunningSimulator) -> None:
    uid = api.create()
    bad = {"Authorization": "Bearer bearer-omega", "VZ-M2M-Token": "m2m-alpha"}
    for r in (api.schedule(headers=bad), api.change(uid, "remove", FIT[:1], headers=bad),
              api.get(uid, headers=bad), api.cancel(uid, headers=bad)):
        assert r.status_code == 401 and is_error(r)
        assert r.json()["fault"] == {"code": "900901", "message": "Invalid Credentials",
                                     "description": r.json()["fault"]["description"]}
    assert count(server) == 1 and api.devices(uid) == FIT[:2] and api.status(uid) == "RequestPending"


@pytest.mark.parametrize("m2m", [None, "", "m2m-omega", "m2m-beta"])
def test_auth03_missing_unknown_or_foreign_session_token_is_a_400(api: Api, server: RunningSimulator,
                                                                  m2m: str | None) -> None:
    headers = {"Authorization": "Bearer bearer-alpha"}
    if m2m is not None:
        headers["VZ-M2M-Token"] = m2m
    uid = api.create()
    for r in (api.schedule(headers=headers), api.change(uid, "append", FIT[7:8], headers=headers),
              api.get(uid, headers=headers), api.cancel(uid, headers=headers)):
        assert r.status_code == 400 and is_error(r)
        assert r.json()["errorCode"].startswith("UnifiedWebService.REQUEST_FAILED.SessionToken.")
        assert r.json()["errorMessage"].startswith("VZ-M2M-Token: ")
    assert count(server) == 1 and api.devices(uid) == FIT[:2]


def test_auth_is_checked_before_the_body(api: Api) -> None:
    r = api.schedule(content=b"not json", headers={})
    assert r.status_code == 401


def test_auth04_credentials_never_reach_another_accounts_data(api: Api, server: RunningSimulator) -> None:
    theirs = api.schedule(body(B_DEVICES[:2], accountName=ACCOUNT_B), headers=BETA)
    assert theirs.status_code == 200
    their_id = theirs.json()["id"]
    secrets = [their_id, *B_DEVICES]
    attempts = [
        api.schedule(body(B_DEVICES[2:3], accountName=ACCOUNT_B)),
        api.change(their_id, "append", B_DEVICES[2:3], account=ACCOUNT_B),
        api.change(their_id, "remove", B_DEVICES[:1], account=ACCOUNT_B),
        api.get(their_id, account=ACCOUNT_B),
        api.cancel(their_id, account=ACCOUNT_B),
        api.change(their_id, "append", FIT[:1], account=ACCOUNT_A),
        api.get(their_id, account=ACCOUNT_A),
        api.cancel(their_id, account=ACCOUNT_A),
        api.get(their_id, account="0000000000-00000"),
    ]
    for r in attempts:
        assert 400 <= r.status_code < 500 and is_error(r), r.text
        assert not any(s in r.text for s in secrets), r.text
    assert count(server) == 1
    assert api.devices(their_id, account=ACCOUNT_B, headers=BETA) == B_DEVICES[:2]
    assert api.status(their_id, account=ACCOUNT_B, headers=BETA) == "RequestPending"
    # Another account's devices in one's own request are merely unknown devices (POST-04).
    r = api.schedule(body(B_DEVICES[3:4]))
    assert r.status_code == 200
    api.advance()
    assert api.status(r.json()["id"]) == "RequestFailed"
