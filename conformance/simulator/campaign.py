"""A campaign's state, and how the API shows it (the vendor's JSON shapes, no HTTP).

Device statuses use the vendor's own spellings where one is known (docs/vendor-facts.md#statuses: ``RequestPending``,
``Device Accepted``, ``Device Rejected``, ``UpgradeSuccess``); ``UpgradeFailed`` for a device and
the ``…DeviceFailed``/``RemoveDeviceSucceed`` PUT items are simulator-defined by analogy (no source
shows them), exactly as openapi.yaml marks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from conformance.simulator.profile import Profile
from conformance.spec.lifecycle import Status
from conformance.spec.world import Firmware

__all__ = [
    "DEVICE_ACCEPTED",
    "DEVICE_FAILED",
    "DEVICE_PENDING",
    "DEVICE_REJECTED",
    "DEVICE_SUCCESS",
    "Campaign",
    "DeviceState",
    "ScheduleRequest",
    "campaign_json",
    "change_item",
]

DEVICE_PENDING = "RequestPending"
DEVICE_ACCEPTED = "Device Accepted"
DEVICE_REJECTED = "Device Rejected"
DEVICE_SUCCESS = "UpgradeSuccess"
DEVICE_FAILED = "UpgradeFailed"

ADD_OK, ADD_FAILED = "AddDeviceSucceed", "AddDeviceFailed"
REMOVE_OK, REMOVE_FAILED = "RemoveDeviceSucceed", "RemoveDeviceFailed"


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    """A structurally valid POST /upgrades body (the adapter checked it against openapi.yaml)."""

    account: str
    firmware_name: str
    start_date: date
    devices: tuple[str, ...]
    end_date: date | None = None
    firmware_to: str | None = None


@dataclass(slots=True)
class DeviceState:
    status: str = DEVICE_PENDING
    #: None while RequestPending: the vendor omits resultReason then (docs/vendor-facts.md#schedule-an-upgrade).
    reason: str | None = None


@dataclass(slots=True)
class Campaign:
    id: str
    #: Creation order across the simulator's life; breaks ties between transitions due at one instant.
    seq: int
    account: str
    firmware_name: str
    #: The firmware image, None when the request named an unknown one (accepted, fails later).
    firmware: Firmware | None
    #: What the answers show as firmwareTo: the image's toVersion (or the request's, if unknown).
    firmware_to: str
    start_date: date
    end_date: date | None
    #: The number of forward clock moves made before it was accepted (SIM-04: decided at the next).
    created_move: int
    #: Why the request was semantically invalid (POST-04), campaign-wide; None if it was not.
    failure: str | None = None
    #: Why single devices of the request were rejected (POST-04), by IMEI.
    rejections: dict[str, str] = field(default_factory=dict)
    status: Status = Status.REQUEST_PENDING
    devices: dict[str, DeviceState] = field(default_factory=dict)
    #: Every device ever removed and not added back (read only by the life04 fault).
    removed: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def valid(self) -> bool:
        return self.failure is None and not self.rejections

    def set_all(self, status: str, reason: str | None) -> None:
        for state in self.devices.values():
            state.status, state.reason = status, reason


def _device_json(imei: str, state: DeviceState) -> dict[str, Any]:
    item: dict[str, Any] = {"deviceId": imei, "status": state.status}
    if state.reason is not None:
        item["resultReason"] = state.reason
    return item


def _note(c: Campaign) -> str:
    if c.cancelled:
        return "cancelled by the account"
    if c.status is Status.REQUEST_FAILED and not c.valid:
        return c.failure or f"{len(c.rejections)} device(s) of the request were rejected"
    return f"campaign is {c.status.value}"


def campaign_json(c: Campaign, profile: Profile, *, stale_devices: bool = False) -> dict[str, Any]:
    """The FirmwareUpgrade shape of POST and GET answers."""
    status: str = c.status.value
    if c.status is Status.QUEUED and profile.fault("life01-scheduled-status"):
        # FAULT life01-scheduled-status: a status outside the six documented ones (LIFE-01).
        status = "Scheduled"
    devices = [_device_json(imei, state) for imei, state in c.devices.items()]
    if stale_devices and profile.fault("life04-get-stale-devices"):
        # FAULT life04-get-stale-devices: GET forgets to drop removed devices (LIFE-04).
        template = next(iter(c.devices.values()), DeviceState())
        devices += [_device_json(imei, template) for imei in c.removed if imei not in c.devices]
    body: dict[str, Any] = {
        "id": c.id,
        "accountName": c.account,
        "firmwareName": c.firmware_name,
        "firmwareTo": c.firmware_to,
        "startDate": c.start_date.isoformat(),
        "status": status,
        "deviceList": devices,
    }
    if profile.variant("extra-fields"):
        # Harmless additions a real target might make: the newer vendor docs list endDate.
        if c.end_date is not None:
            body["endDate"] = c.end_date.isoformat()
        body["notes"] = _note(c)
    return body


def change_item(imei: str, status: str, reason: str, profile: Profile) -> dict[str, Any]:
    """One item of a PUT answer: the vendor's key is ``Reason`` with a capital R (PUT-07)."""
    # FAULT put07-lowercase-reason: the key the vendor SDKs do not read (PUT-07).
    key = "reason" if profile.fault("put07-lowercase-reason") else "Reason"
    return {"deviceId": imei, "status": status, key: reason}
