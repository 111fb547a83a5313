"""openapi.yaml really generates a working client: openapi-python-client (its CLI, in a subprocess,
offline) turns the document into a package, which is imported and used over real HTTP against the
reference simulator — schedule, append, read, cancel, and the typed error bodies.

Also keeps the document generator-friendly: generation must print no warning except the ones
listed in ``ACCEPTED_WARNINGS`` (none at present), each with the reason it is acceptable.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from http import HTTPStatus
from pathlib import Path
from types import ModuleType, SimpleNamespace

import httpx
import pytest

from conformance.simulator import RunningSimulator
from conformance.spec.world import ACCOUNT_A, FW_A

pytest.importorskip("openapi_python_client", reason="openapi-python-client is not installed (pip install -e '.[test]')")

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"
PACKAGE = "fota_v1_generated_client"  # a name nothing else in the process uses
BEARER, M2M = "bearer-alpha", "m2m-alpha"  # account A's credentials in the built-in world
#: Devices of the built-in world that fit FW_A; this module's own slice (test_vendor_sdk uses others).
DEVICES = [f"35000000001{n:04d}" for n in range(1, 21)]

#: Warnings openapi-python-client may print for openapi.yaml, each with why it is acceptable:
#: {substring of the warning's text: reason}. Keep it empty unless a warning cannot be avoided.
ACCEPTED_WARNINGS: dict[str, str] = {}

#: ``post_hooks: []``: the generator's default hooks run ruff on the result, which needs ruff on
#: PATH and only reformats; generation itself must not depend on it.
CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"


def _warnings(output: str) -> list[str]:
    """Each ``WARNING …``/``ERROR …`` block of the generator's output, as header + reason line."""
    lines = output.splitlines()
    found = []
    for i, line in enumerate(lines):
        if re.match(r"^(WARNING|ERROR)\b", line):
            detail = next((nxt.strip() for nxt in lines[i + 1:] if nxt.strip()), "")
            found.append(f"{line.strip()} | {detail}")
    if not found and "Warning(s) encountered" in output:
        found.append(output.strip())  # a warning in a shape this parser does not know: show it all
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """Generate the client into a temporary directory and import it (removed from the process after)."""
    root = tmp_path_factory.mktemp("generated")
    config = root / "config.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(OPENAPI),
         "--meta", "none", "--output-path", str(root / PACKAGE), "--config", str(config)],
        capture_output=True, text=True, timeout=120, cwd=root, check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"openapi-python-client failed:\n{output}"
    unexpected = [w for w in _warnings(output) if not any(a in w for a in ACCEPTED_WARNINGS)]
    assert not unexpected, "openapi-python-client warns about openapi.yaml:\n" + "\n".join(unexpected)

    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        def mod(name: str) -> ModuleType:
            return importlib.import_module(f"{PACKAGE}.{name}")
        yield SimpleNamespace(
            client=mod("client"), models=mod("models"), types=mod("types"),
            schedule=mod("api.core.schedule_firmware_upgrade"),
            change=mod("api.core.update_firmware_upgrade_devices"),
            details=mod("api.companion.list_firmware_upgrade_details"),
            cancel=mod("api.companion.cancel_scheduled_firmware_upgrade"),
        )
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def client(generated: SimpleNamespace, simulator: RunningSimulator) -> Iterator[object]:
    # AuthenticatedClient carries only the bearer token; VZ-M2M-Token goes in as a plain header
    # (openapi.yaml says so in the scheme's description). trust_env=False: no proxy for loopback.
    with generated.client.AuthenticatedClient(
        base_url=simulator.base_url, token=BEARER, headers={"VZ-M2M-Token": M2M},
        timeout=httpx.Timeout(10.0), raise_on_unexpected_status=True, httpx_args={"trust_env": False},
    ) as authenticated:
        yield authenticated


def test_generation_lists_the_four_operations(generated: SimpleNamespace) -> None:
    for module in (generated.schedule, generated.change, generated.details, generated.cancel):
        assert callable(module.sync_detailed) and callable(module.asyncio_detailed)
    # The capital-R `Reason` of PUT items is a field of its own, not an additional property.
    item = generated.models.V1DeviceListItem.from_dict({"deviceId": "1", "status": "AddDeviceSucceed",
                                                         "Reason": "ok"})
    assert item.reason == "ok" and item.additional_properties == {}


def test_schedule_append_read_cancel(generated: SimpleNamespace, client: object, start_day: date) -> None:
    m, unset = generated.models, generated.types.UNSET
    first, added = DEVICES[0:2], DEVICES[2:4]

    # POST /upgrades
    created = generated.schedule.sync_detailed(client=client, body=m.FirmwareUpgradeRequest(
        account_name=ACCOUNT_A, firmware_name=FW_A.name, start_date=start_day, device_list=first))
    assert created.status_code == HTTPStatus.OK, created.content
    upgrade = created.parsed
    assert isinstance(upgrade, m.FirmwareUpgrade)
    assert isinstance(upgrade.id, uuid.UUID)
    assert (upgrade.account_name, upgrade.firmware_name, upgrade.firmware_to) == (
        ACCOUNT_A, FW_A.name, FW_A.to_version)
    assert upgrade.start_date == start_day  # format: date → a real datetime.date
    assert upgrade.status is m.UpgradeStatus.REQUESTPENDING
    assert [d.device_id for d in upgrade.device_list] == first
    for device in upgrade.device_list:
        assert isinstance(device, m.FirmwareUpgradeDeviceListItem)
        assert device.status == "RequestPending"
        assert device.result_reason is unset  # "not included when status='Request Pending'"

    # PUT …/upgrade/{id}: append; the answer's items carry the vendor's capital-R `Reason`
    changed = generated.change.sync_detailed(ACCOUNT_A, upgrade.id, client=client, body=m.FirmwareUpgradeChangeRequest(
        type_=m.FirmwareUpgradeChangeRequestType.APPEND, device_list=added))
    assert changed.status_code == HTTPStatus.OK, changed.content
    result = changed.parsed
    assert isinstance(result, m.FirmwareUpgradeChangeResult)
    assert (result.account_name, result.id) == (ACCOUNT_A, upgrade.id)
    assert [i.device_id for i in result.device_list] == added
    for item in result.device_list:
        assert isinstance(item, m.V1DeviceListItem)
        assert item.status == "AddDeviceSucceed"
        assert isinstance(item.reason, str) and item.reason  # mapped from "Reason"
        assert "Reason" not in item.additional_properties and "resultReason" not in item.additional_properties
    assert b'"Reason"' in changed.content

    # GET …/upgrade/{id}: the campaign now holds all four devices
    read = generated.details.sync_detailed(ACCOUNT_A, upgrade.id, client=client)
    assert read.status_code == HTTPStatus.OK, read.content
    details = read.parsed
    assert isinstance(details, m.FirmwareUpgrade)
    assert details.id == upgrade.id
    assert details.status in (m.UpgradeStatus.REQUESTPENDING, m.UpgradeStatus.QUEUED)
    assert sorted(d.device_id for d in details.device_list) == sorted(first + added)

    # DELETE …/upgrade/{id}
    cancelled = generated.cancel.sync_detailed(ACCOUNT_A, upgrade.id, client=client)
    assert cancelled.status_code == HTTPStatus.OK, cancelled.content
    assert isinstance(cancelled.parsed, m.FotaV1SuccessResult)
    assert cancelled.parsed.success is True

    # …and a cancelled campaign can no longer be changed: a typed 400 error body
    refused = generated.change.sync_detailed(ACCOUNT_A, upgrade.id, client=client, body=m.FirmwareUpgradeChangeRequest(
        type_=m.FirmwareUpgradeChangeRequestType.APPEND, device_list=DEVICES[4:5]))
    assert refused.status_code == HTTPStatus.BAD_REQUEST, refused.content
    assert isinstance(refused.parsed, m.FotaV1Result)
    assert refused.parsed.error_code and refused.parsed.error_message


def test_optional_fields_as_the_vendor_sdks_send_them(generated: SimpleNamespace, client: object,
                                                      start_day: date) -> None:
    m = generated.models
    end_day = start_day + timedelta(days=3)
    created = generated.schedule.sync_detailed(client=client, body=m.FirmwareUpgradeRequest(
        account_name=ACCOUNT_A, firmware_name=FW_A.name, start_date=start_day, device_list=DEVICES[5:6],
        firmware_to=FW_A.to_version, end_date=end_day))
    assert created.status_code == HTTPStatus.OK, created.content
    assert isinstance(created.parsed, m.FirmwareUpgrade)
    assert created.parsed.firmware_to == FW_A.to_version
    # endDate is optional in the answer (the default simulator leaves it out; variant extra-fields adds it)
    assert created.parsed.end_date in (generated.types.UNSET, end_day)
    generated.cancel.sync_detailed(ACCOUNT_A, created.parsed.id, client=client)


def test_a_400_is_the_typed_error_model(generated: SimpleNamespace, client: object, start_day: date) -> None:
    m = generated.models
    # The generated model does not enforce minItems, so the client really sends the empty list.
    answer = generated.schedule.sync_detailed(client=client, body=m.FirmwareUpgradeRequest(
        account_name=ACCOUNT_A, firmware_name=FW_A.name, start_date=start_day, device_list=[]))
    assert answer.status_code == HTTPStatus.BAD_REQUEST, answer.content
    error = answer.parsed
    assert isinstance(error, m.FotaV1Result)
    assert isinstance(error.error_code, str) and error.error_code
    assert isinstance(error.error_message, str) and error.error_message
    assert error.additional_properties == {}


def test_a_401_parses_as_one_of_its_two_shapes(generated: SimpleNamespace, simulator: RunningSimulator) -> None:
    m = generated.models
    with generated.client.AuthenticatedClient(
        base_url=simulator.base_url, token="not-a-token", headers={"VZ-M2M-Token": M2M},
        timeout=httpx.Timeout(10.0), httpx_args={"trust_env": False},
    ) as stranger:
        answer = generated.details.sync_detailed(ACCOUNT_A, uuid.uuid4(), client=stranger)
    assert answer.status_code == HTTPStatus.UNAUTHORIZED, answer.content
    assert isinstance(answer.parsed, m.FotaV1Result | m.GatewayFault)


def test_a_full_scenario_is_judged_clean_by_the_client_gate(generated: SimpleNamespace) -> None:
    """Schedule, read, append, remove, read, cancel through the generated client against a strict
    simulator (``simulate --strict``'s judge): no CLIENT rule fails or warns."""
    from gate import problems, strict_simulator

    m = generated.models
    with strict_simulator() as strict, generated.client.AuthenticatedClient(
        base_url=strict.base_url, token=BEARER, headers={"VZ-M2M-Token": M2M}, timeout=httpx.Timeout(10.0),
        raise_on_unexpected_status=True, httpx_args={"trust_env": False},
    ) as client:
        day = strict.running.simulator.now().date() + timedelta(days=7)
        created = generated.schedule.sync_detailed(client=client, body=m.FirmwareUpgradeRequest(
            account_name=ACCOUNT_A, firmware_name=FW_A.name, start_date=day, device_list=DEVICES[0:2],
            firmware_to=FW_A.to_version, end_date=day + timedelta(days=1)))
        assert created.status_code == HTTPStatus.OK, created.content
        upgrade_id = created.parsed.id
        assert generated.details.sync_detailed(ACCOUNT_A, upgrade_id, client=client).status_code == HTTPStatus.OK
        for kind, devices in ((m.FirmwareUpgradeChangeRequestType.APPEND, DEVICES[2:4]),
                              (m.FirmwareUpgradeChangeRequestType.REMOVE, DEVICES[3:4])):
            body = m.FirmwareUpgradeChangeRequest(type_=kind, device_list=devices)
            changed = generated.change.sync_detailed(ACCOUNT_A, upgrade_id, client=client, body=body)
            assert changed.status_code == HTTPStatus.OK, changed.content
        read = generated.details.sync_detailed(ACCOUNT_A, upgrade_id, client=client)
        assert sorted(d.device_id for d in read.parsed.device_list) == sorted(DEVICES[0:3])
        assert generated.cancel.sync_detailed(ACCOUNT_A, upgrade_id, client=client).parsed.success is True
        report = strict.judge.report()
    assert problems(report) == {}, report["rules"]
    assert {rid for rid, e in report["rules"].items() if e["outcome"] == "passed"} >= {
        "CLIENT-01", "CLIENT-02", "CLIENT-03", "CLIENT-04", "CLIENT-05", "CLIENT-06", "CLIENT-07", "CLIENT-08"}
