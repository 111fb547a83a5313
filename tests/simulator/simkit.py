"""Helpers for the simulator's tests: the test world, credentials, and a small HTTP client of the
four operations and the control plane (real HTTP over loopback, no mocks)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from conformance.simulator.model import format_now
from conformance.spec.lifecycle import STATUSES  # noqa: F401 — the six statuses, for the tests
from conformance.spec.world import World, default_world

NOW = datetime(2026, 3, 1, tzinfo=UTC)
WORLD = default_world(now=NOW)
TODAY = NOW.date()

ACCOUNT_A = "0000123456-00001"
ACCOUNT_B = "0000654321-00001"
FW_A = "FOTA_Verizon_Model-A_01To02_HF"
FW_B = "FOTA_Verizon_Model-B_03To04_HF"
TO_A = "VerizonFirmwareVersion-02"

ALPHA = {"Authorization": "Bearer bearer-alpha", "VZ-M2M-Token": "m2m-alpha"}
BETA = {"Authorization": "Bearer bearer-beta", "VZ-M2M-Token": "m2m-beta"}

_A = WORLD.account(ACCOUNT_A)
_B = WORLD.account(ACCOUNT_B)
assert _A is not None and _B is not None
_FW_A = _A.find_firmware(FW_A)
assert _FW_A is not None
#: Every device of account A.
A_DEVICES = [d.imei for d in _A.devices]
#: Account A's devices that fit FW_A and answer (62 of them).
FIT = [d.imei for d in _A.devices if d.fits(_FW_A) and d.reachable]
#: Fit FW_A but never answer.
UNREACHABLE = [d.imei for d in _A.devices if d.fits(_FW_A) and not d.reachable]
#: Model-A already at FW_A's target version.
WRONG_VERSION = [d.imei for d in _A.devices if d.model == "Model-A" and d.firmware == TO_A]
#: Model-B devices of account A.
MODEL_B = [d.imei for d in _A.devices if d.model == "Model-B"]
#: Account B's devices (Model-A, fit FW_A).
B_DEVICES = [d.imei for d in _B.devices]
UNKNOWN_IMEI = "359999999999999"
NEVER_ISSUED = "00000000-0000-4000-8000-000000000000"



def day(offset: int) -> str:
    """The test world's today + ``offset`` days, as YYYY-MM-DD."""
    return (TODAY + timedelta(days=offset)).isoformat()


def midnight(offset: int) -> datetime:
    return datetime.combine(date.fromisoformat(day(offset)), datetime.min.time(), tzinfo=UTC)


def body(devices: list[str] | None = None, *, start: int = 2, **fields: Any) -> dict[str, Any]:
    """A valid schedule request for account A (FW_A), starting ``start`` days from today."""
    data: dict[str, Any] = {"accountName": ACCOUNT_A, "firmwareName": FW_A, "startDate": day(start),
                            "deviceList": list(devices if devices is not None else FIT[:2])}
    data.update(fields)
    return data


def is_error(r: httpx.Response, *, status: int | None = None) -> bool:
    """An "error response" (docs/rules.md#terms): 4xx, JSON, {errorCode, errorMessage} non-empty (or a 401 fault)."""
    if not 400 <= r.status_code < 500 or (status is not None and r.status_code != status):
        return False
    if r.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return False
    data = r.json()
    if not isinstance(data, dict):
        return False
    if r.status_code == 401 and isinstance(data.get("fault"), dict):
        return True
    return all(isinstance(data.get(k), str) and data[k] for k in ("errorCode", "errorMessage"))


class Api:
    """The four operations and the control plane of one running simulator."""

    def __init__(self, base_url: str, client: httpx.Client) -> None:
        self.base_url = base_url
        self.client = client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, self.base_url + path, **kwargs)

    # --- control plane --------------------------------------------------------------------------
    def reset(self, world: World = WORLD) -> None:
        r = self.request("PUT", "/__control/world", json=world.to_json())
        assert r.status_code == 204, r.text

    def set_clock(self, instant: datetime | str) -> httpx.Response:
        text = instant if isinstance(instant, str) else format_now(instant)
        return self.request("PUT", "/__control/clock", json={"now": text})

    def now(self) -> datetime:
        r = self.request("GET", "/__control/clock")
        assert r.status_code == 200, r.text
        return datetime.fromisoformat(r.json()["now"].replace("Z", "+00:00"))

    def advance(self, delta: timedelta = timedelta(minutes=1)) -> None:
        r = self.set_clock(self.now() + delta)
        assert r.status_code == 200, r.text

    def to_day(self, offset: int, delta: timedelta = timedelta(0)) -> None:
        r = self.set_clock(midnight(offset) + delta)
        assert r.status_code == 200, r.text

    # --- the API --------------------------------------------------------------------------------
    def schedule(self, data: Any = None, *, headers: dict[str, str] | None = None,
                 content: bytes | None = None) -> httpx.Response:
        headers = ALPHA if headers is None else headers
        if content is not None:
            return self.request("POST", "/upgrades", content=content, headers=headers)
        return self.request("POST", "/upgrades", json=body() if data is None else data, headers=headers)

    def create(self, devices: list[str] | None = None, **fields: Any) -> str:
        r = self.schedule(body(devices, **fields))
        assert r.status_code == 200, r.text
        upgrade_id: str = r.json()["id"]
        return upgrade_id

    def change(self, upgrade_id: str, kind: str, devices: list[Any], *, account: str = ACCOUNT_A,
               headers: dict[str, str] | None = None) -> httpx.Response:
        return self.request("PUT", f"/upgrades/{account}/upgrade/{upgrade_id}",
                            json={"type": kind, "deviceList": devices},
                            headers=ALPHA if headers is None else headers)

    def put_raw(self, upgrade_id: str, content: bytes, *, content_type: str | None = "application/json",
                account: str = ACCOUNT_A, headers: dict[str, str] | None = None) -> httpx.Response:
        h = dict(ALPHA if headers is None else headers)
        if content_type is not None:
            h["Content-Type"] = content_type
        return self.request("PUT", f"/upgrades/{account}/upgrade/{upgrade_id}", content=content, headers=h)

    def get(self, upgrade_id: str, *, account: str = ACCOUNT_A,
            headers: dict[str, str] | None = None) -> httpx.Response:
        return self.request("GET", f"/upgrades/{account}/upgrade/{upgrade_id}",
                            headers=ALPHA if headers is None else headers)

    def cancel(self, upgrade_id: str, *, account: str = ACCOUNT_A,
               headers: dict[str, str] | None = None) -> httpx.Response:
        return self.request("DELETE", f"/upgrades/{account}/upgrade/{upgrade_id}",
                            headers=ALPHA if headers is None else headers)

    def status(self, upgrade_id: str, *, account: str = ACCOUNT_A, headers: dict[str, str] | None = None) -> str:
        """The campaign's status, or "<4xx>" when GET refuses."""
        r = self.get(upgrade_id, account=account, headers=headers)
        if r.status_code != 200:
            assert is_error(r), r.text
            return f"<{r.status_code}>"
        status: str = r.json()["status"]
        return status

    def devices(self, upgrade_id: str, *, account: str = ACCOUNT_A,
                headers: dict[str, str] | None = None) -> list[str]:
        r = self.get(upgrade_id, account=account, headers=headers)
        assert r.status_code == 200, r.text
        return [item["deviceId"] for item in r.json()["deviceList"]]
