"""The vendor's own Python SDK (``sdksio-verizon-apis-sdk`` 2.0.0, import name ``verizon``) as a
real client of the reference simulator, over real HTTP: the simulator must accept everything the
SDK sends — ``firmwareTo`` and ``endDate`` always present on POST, ``Content-Type: */*`` on PUT,
lowercase ``accept`` — and the SDK must understand every answer, errors included.

The SDK has no base-URL setting: its ``Configuration.get_base_uri`` maps (environment, server) to
a production URL. ``LocalConfiguration`` overrides that method for the servers a FOTA v1 call can
reach (the client passes ``config.get_base_uri`` to apimatic-core as its base-URI executor, and
uses a given ``config`` as is). A static ``OauthToken`` without ``expiry`` never expires, so the
SDK never calls the OAuth token endpoint.

What went over the wire is recorded twice: by the SDK's own ``http_call_back`` (the request the SDK
built) and by a response hook on the ``requests.Session`` the SDK sends with (the request exactly
as ``requests`` put it on the wire, headers and body).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from conformance.simulator import Profile, RunningSimulator, start
from conformance.spec.world import ACCOUNT_A, FW_A, default_world

pytest.importorskip("verizon.controllers.firmware_v1_controller",
                    reason="the vendor SDK sdksio-verizon-apis-sdk is not installed (pip install -e '.[test]')")

from verizon.configuration import Configuration, Server
from verizon.exceptions.api_exception import APIException
from verizon.exceptions.fota_v1_result_exception import FotaV1ResultException
from verizon.http.auth.thingspace_oauth import ThingspaceOauthCredentials
from verizon.http.auth.vz_m2m_token import VZM2mTokenCredentials
from verizon.http.http_call_back import HttpCallBack
from verizon.models.firmware_type_list_enum import FirmwareTypeListEnum
from verizon.models.firmware_upgrade import FirmwareUpgrade
from verizon.models.firmware_upgrade_change_request import FirmwareUpgradeChangeRequest
from verizon.models.firmware_upgrade_change_result import FirmwareUpgradeChangeResult
from verizon.models.firmware_upgrade_request import FirmwareUpgradeRequest
from verizon.models.fota_v1_success_result import FotaV1SuccessResult
from verizon.models.oauth_token import OauthToken
from verizon.models.v1_device_list_item import V1DeviceListItem
from verizon.verizon_client import VerizonClient

BEARER, M2M = "bearer-alpha", "m2m-alpha"  # account A's credentials in the built-in world
#: Devices of the built-in world that fit FW_A; this module's own slice (test_generated_client uses 1-20).
DEVICES = [f"35000000001{n:04d}" for n in range(21, 41)]


@dataclass
class Wire:
    """What the SDK sent: as it built each request (callback) and as ``requests`` sent it (hook)."""

    built: list[Any] = field(default_factory=list)  # apimatic HttpRequest
    sent: list[requests.PreparedRequest] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def clear(self) -> None:
        self.built.clear()
        self.sent.clear()
        self.statuses.clear()


class Recorder(HttpCallBack):
    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    def on_before_request(self, request: Any) -> None:
        self.wire.built.append(request)

    def on_after_response(self, http_response: Any) -> None:
        self.wire.statuses.append(http_response.status_code)


def local_configuration(base_url: str) -> type[Configuration]:
    api_root = base_url.removesuffix("/fota/v1")  # http://127.0.0.1:PORT/api

    class LocalConfiguration(Configuration):
        """Every server a FOTA v1 call (or a token request) can reach, on the simulator."""

        def get_base_uri(self, server: Server = Server.THINGSPACE) -> str:
            local = {Server.SOFTWARE_MANAGEMENT_V1: base_url,
                     Server.OAUTH_SERVER: f"{api_root}/ts/v1",  # never called: the token is static
                     Server.THINGSPACE: api_root}
            if server not in local:
                raise AssertionError(f"the test did not expect a call to {server}")
            return local[server]

    return LocalConfiguration


@pytest.fixture(scope="module")
def wire() -> Wire:
    return Wire()


def make_sdk(base_url: str, wire: Wire) -> tuple[VerizonClient, requests.Session]:
    session = requests.Session()
    session.trust_env = False  # loopback only: no proxy from the environment
    session.hooks["response"].append(lambda response, *args, **kwargs: wire.sent.append(response.request))
    config = local_configuration(base_url)(
        http_client_instance=session, http_call_back=Recorder(wire), timeout=10, max_retries=0,
        thingspace_oauth_credentials=ThingspaceOauthCredentials(
            oauth_client_id="unused-client-id", oauth_client_secret="unused-client-secret",
            oauth_token=OauthToken(access_token=BEARER, token_type="Bearer")),
        vz_m2m_token_credentials=VZM2mTokenCredentials(vz_m2m_token=M2M),
    )
    client = VerizonClient(config=config)
    assert client.config is config  # the SDK uses a given config as is (so our get_base_uri counts)
    return client, session


@pytest.fixture(scope="module")
def sdk(simulator: RunningSimulator, wire: Wire) -> Iterator[VerizonClient]:
    client, session = make_sdk(simulator.base_url, wire)
    yield client
    session.close()


@pytest.fixture
def rec(wire: Wire) -> Wire:
    wire.clear()
    return wire


def _headers(request: requests.PreparedRequest) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


def _schedule(sdk: VerizonClient, start_day: date, devices: list[str]) -> FirmwareUpgrade:
    response = sdk.firmware_v1.schedule_firmware_upgrade(FirmwareUpgradeRequest(
        account_name=ACCOUNT_A, firmware_name=FW_A.name, firmware_to=FW_A.to_version,
        start_date=start_day, end_date=start_day + timedelta(days=4), device_list=devices))
    assert response.status_code == 200
    assert isinstance(response.body, FirmwareUpgrade)
    return response.body


def test_schedule_append_read_cancel(sdk: VerizonClient, rec: Wire, simulator: RunningSimulator,
                                     start_day: date) -> None:
    first, added = DEVICES[0:2], DEVICES[2:4]

    # POST /upgrades — the SDK always sends firmwareTo and endDate (both required in its model)
    upgrade = _schedule(sdk, start_day, first)
    post = rec.sent[-1]
    assert (post.method, post.url) == ("POST", f"{simulator.base_url}/upgrades")
    assert json.loads(post.body) == {
        "accountName": ACCOUNT_A, "firmwareName": FW_A.name, "firmwareTo": FW_A.to_version,
        "startDate": start_day.isoformat(), "endDate": (start_day + timedelta(days=4)).isoformat(),
        "deviceList": first}
    headers = _headers(post)
    assert headers["content-type"] == "application/json"
    assert headers["authorization"] == f"Bearer {BEARER}" and headers["vz-m2m-token"] == M2M
    assert upgrade.id and upgrade.account_name == ACCOUNT_A and upgrade.firmware_to == FW_A.to_version
    assert upgrade.start_date == start_day.isoformat()  # the SDK's model keeps it a plain string
    assert upgrade.status == "RequestPending"
    assert [d.device_id for d in upgrade.device_list] == first
    assert all(d.status == "RequestPending" for d in upgrade.device_list)

    # PUT …/upgrade/{id} — labelled Content-Type: */* by the SDK, and accepted
    rec.clear()
    changed = sdk.firmware_v1.update_firmware_upgrade_devices(ACCOUNT_A, upgrade.id, FirmwareUpgradeChangeRequest(
        mtype=FirmwareTypeListEnum.APPEND, device_list=added))
    assert len(rec.built) == len(rec.sent) == 1
    assert rec.built[0].headers["Content-Type"] == "*/*"  # what the SDK built…
    put = rec.sent[0]
    assert (put.method, put.url) == ("PUT", f"{simulator.base_url}/upgrades/{ACCOUNT_A}/upgrade/{upgrade.id}")
    assert _headers(put)["content-type"] == "*/*"  # …and what really went out
    assert json.loads(put.body) == {"type": "append", "deviceList": added}
    assert rec.statuses == [200] and changed.status_code == 200
    result = changed.body
    assert isinstance(result, FirmwareUpgradeChangeResult)
    assert (result.account_name, result.id) == (ACCOUNT_A, upgrade.id)
    assert [i.device_id for i in result.device_list] == added
    for item in result.device_list:
        assert isinstance(item, V1DeviceListItem)
        assert item.status == "AddDeviceSucceed"
        assert isinstance(item.reason, str) and item.reason  # the SDK reads only the key "Reason"

    # GET …/upgrade/{id}
    read = sdk.firmware_v1.list_firmware_upgrade_details(ACCOUNT_A, upgrade.id)
    assert read.status_code == 200 and isinstance(read.body, FirmwareUpgrade)
    assert read.body.id == upgrade.id and read.body.status in ("RequestPending", "Queued")
    assert sorted(d.device_id for d in read.body.device_list) == sorted(first + added)

    # DELETE …/upgrade/{id}
    cancelled = sdk.firmware_v1.cancel_scheduled_firmware_upgrade(ACCOUNT_A, upgrade.id)
    assert cancelled.status_code == 200
    assert isinstance(cancelled.body, FotaV1SuccessResult) and cancelled.body.success is True
    assert all(_headers(r)["accept"] == "application/json" for r in rec.sent)

    # A cancelled campaign is gone for the SDK too: its 400 arrives as FotaV1ResultException
    with pytest.raises(FotaV1ResultException) as refused:
        sdk.firmware_v1.update_firmware_upgrade_devices(ACCOUNT_A, upgrade.id, FirmwareUpgradeChangeRequest(
            mtype=FirmwareTypeListEnum.APPEND, device_list=DEVICES[4:5]))
    assert refused.value.response_code == 400
    assert refused.value.error_code and refused.value.error_message


def test_remove_with_the_sdk(sdk: VerizonClient, rec: Wire, start_day: date) -> None:
    upgrade = _schedule(sdk, start_day, DEVICES[5:7])
    removed = sdk.firmware_v1.update_firmware_upgrade_devices(ACCOUNT_A, upgrade.id, FirmwareUpgradeChangeRequest(
        mtype=FirmwareTypeListEnum.REMOVE, device_list=DEVICES[6:7]))
    assert _headers(rec.sent[-1])["content-type"] == "*/*"
    assert removed.status_code == 200
    assert [i.device_id for i in removed.body.device_list] == DEVICES[6:7]
    assert isinstance(removed.body.device_list[0].reason, str)
    read = sdk.firmware_v1.list_firmware_upgrade_details(ACCOUNT_A, upgrade.id)
    assert [d.device_id for d in read.body.device_list] == DEVICES[5:6]
    sdk.firmware_v1.cancel_scheduled_firmware_upgrade(ACCOUNT_A, upgrade.id)


def test_a_400_raises_fota_v1_result_exception(sdk: VerizonClient, rec: Wire, start_day: date) -> None:
    # An empty deviceList passes the SDK (it only refuses None) and is refused by the simulator.
    with pytest.raises(FotaV1ResultException) as raised:
        sdk.firmware_v1.schedule_firmware_upgrade(FirmwareUpgradeRequest(
            account_name=ACCOUNT_A, firmware_name=FW_A.name, firmware_to=FW_A.to_version,
            start_date=start_day, end_date=start_day + timedelta(days=1), device_list=[]))
    error = raised.value
    assert error.response_code == 400
    assert isinstance(error.error_code, str) and error.error_code
    assert isinstance(error.error_message, str) and error.error_message
    assert json.loads(rec.sent[-1].body)["deviceList"] == []

    # An operation type the vendor does not know (the SDK does no enum check): refused, not a crash
    upgrade = _schedule(sdk, start_day, DEVICES[8:9])
    with pytest.raises(FotaV1ResultException) as raised:
        sdk.firmware_v1.update_firmware_upgrade_devices(ACCOUNT_A, upgrade.id, FirmwareUpgradeChangeRequest(
            mtype="replace", device_list=DEVICES[9:10]))
    assert raised.value.response_code == 400 and raised.value.error_code
    sdk.firmware_v1.cancel_scheduled_firmware_upgrade(ACCOUNT_A, upgrade.id)


def test_the_star_label_really_reaches_the_server(start_day: date) -> None:
    """Negative control: a simulator with the planted fault wire03-reject-star (it refuses bodies
    labelled ``*/*`` with 415) breaks the SDK's PUT, so the label is not lost on the way and the
    passing PUTs above really were accepted under ``*/*``."""
    wire = Wire()
    with start(world=default_world(), profile=Profile.of("wire03-reject-star")) as strict:
        client, session = make_sdk(strict.base_url, wire)
        try:
            upgrade = _schedule(client, start_day, DEVICES[10:11])  # POST (application/json) still works
            with pytest.raises(APIException) as raised:
                client.firmware_v1.update_firmware_upgrade_devices(
                    ACCOUNT_A, upgrade.id, FirmwareUpgradeChangeRequest(mtype=FirmwareTypeListEnum.APPEND,
                                                                        device_list=DEVICES[11:12]))
        finally:
            session.close()
    assert not isinstance(raised.value, FotaV1ResultException)  # 415 is not the SDK's documented 400
    assert raised.value.response_code == 415
    assert _headers(wire.sent[-1])["content-type"] == "*/*"


def _sdk_scenario(client: VerizonClient, start_day: date, devices: list[str]) -> None:
    """Schedule, append, remove, details, cancel: the vendor SDK used the way it is meant to be."""
    upgrade = _schedule(client, start_day, devices[0:2])
    for kind, some in ((FirmwareTypeListEnum.APPEND, devices[2:4]), (FirmwareTypeListEnum.REMOVE, devices[3:4])):
        changed = client.firmware_v1.update_firmware_upgrade_devices(
            ACCOUNT_A, upgrade.id, FirmwareUpgradeChangeRequest(mtype=kind, device_list=some))
        assert changed.status_code == 200
    read = client.firmware_v1.list_firmware_upgrade_details(ACCOUNT_A, upgrade.id)
    assert sorted(d.device_id for d in read.body.device_list) == sorted(devices[0:3])
    assert client.firmware_v1.cancel_scheduled_firmware_upgrade(ACCOUNT_A, upgrade.id).body.success is True


def test_the_client_gate_judges_the_sdk_clean(tmp_path: Path) -> None:
    """The vendor's SDK driving a full scenario breaks no CLIENT rule, live (simulate --strict) and
    from a vcrpy cassette of the same calls. Its one deviation from the pages, Content-Type */* on
    PUT, is the allowed branch of CLIENT-03 (documented in docs/rules.md#client-03)."""
    from gate import problems, recorder, strict_simulator

    from conformance.client import judge_cassette

    with strict_simulator() as strict:
        client, session = make_sdk(strict.base_url, Wire())
        try:
            _sdk_scenario(client, strict.running.simulator.now().date() + timedelta(days=7), DEVICES[12:16])
        finally:
            session.close()
        live = strict.judge.report()
    cassette = tmp_path / "sdk.yaml"
    with start(world=default_world()) as plain, recorder().use_cassette(str(cassette)):
        client, session = make_sdk(plain.base_url, Wire())
        try:
            _sdk_scenario(client, plain.simulator.now().date() + timedelta(days=7), DEVICES[12:16])
        finally:
            session.close()
    for report in (live, judge_cassette(cassette)):
        assert problems(report) == {}, report["rules"]
        assert report["rules"]["CLIENT-03"]["branch"] == "application/json + */* on PUT (the vendor SDK's label)"
        assert {rid for rid, e in report["rules"].items() if e["outcome"] == "passed"} >= {
            "CLIENT-01", "CLIENT-02", "CLIENT-03", "CLIENT-04", "CLIENT-05", "CLIENT-06", "CLIENT-07", "CLIENT-08"}
