"""What makes a structurally valid request semantically wrong (POST-04, PUT-03), as pure functions.

A problem names the field to blame (``deviceList[2]``, ``firmwareName``) and a reason in the
vendor's per-device wording where the vendor has one (docs/vendor-facts.md#statuses: "Device not found.",
"Invalid Device IMEI.", "Unknown client device type.", "Device not eligible for service.").
The model decides what a problem leads to: a 400 at once, a RequestFailed campaign later, or a
failed PUT item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from conformance.simulator.campaign import ScheduleRequest
from conformance.simulator.profile import Profile
from conformance.spec.world import Account, Firmware

__all__ = ["Problem", "device_problem", "schedule_problems"]

#: ASCII digits only: Python's \d would take any Unicode digit.
_IMEI = re.compile(r"[0-9]{15}")


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str
    #: The device concerned, for per-device problems.
    imei: str | None = None


def device_problem(imei: str, account: Account, firmware: Firmware | None, versions: Mapping[str, str],
                   *, check_fit: bool = True) -> str | None:
    """Why this device cannot take this firmware, or None. ``versions`` holds current firmware by IMEI."""
    if not _IMEI.fullmatch(imei):
        return "Invalid Device IMEI."
    device = account.find_device(imei)
    if device is None:
        # Also for another account's device: its existence is not this account's business (AUTH-04).
        return "Device not found."
    if firmware is None or not check_fit:
        return None  # no image to compare with (the campaign fails on it anyway), or a fault skips it
    if (device.make, device.model) != (firmware.make, firmware.model):
        return (f"Unknown client device type: a {device.make} {device.model}, "
                f"the firmware is for {firmware.make} {firmware.model}.")
    current = versions.get(imei, device.firmware)
    if current != firmware.from_version:
        return (f"Device not eligible for service: it runs {current}, "
                f"the firmware upgrades {firmware.from_version}.")
    return None


def schedule_problems(req: ScheduleRequest, account: Account, versions: Mapping[str, str],
                      profile: Profile) -> list[Problem]:
    """Every reason why ``req`` is not a valid schedule request (docs/rules.md#terms, "valid schedule request")."""
    problems: list[Problem] = []
    firmware = account.find_firmware(req.firmware_name)
    if firmware is None:
        problems.append(Problem("firmwareName", f"Firmware {req.firmware_name!r} not found for this account."))
    elif req.firmware_to is not None and req.firmware_to != firmware.to_version:
        problems.append(Problem("firmwareTo", f"{req.firmware_to!r} is not the target version of "
                                              f"{firmware.name!r} ({firmware.to_version!r})."))
    if req.end_date is not None and req.end_date < req.start_date:
        problems.append(Problem("endDate", f"{req.end_date.isoformat()} is before startDate "
                                           f"{req.start_date.isoformat()}."))
    if not req.devices:
        # Only reachable through the post03 faults: the schema's minItems refuses it otherwise.
        problems.append(Problem("deviceList", "No devices in the request."))
    problems += _device_problems(req.devices, account, firmware, versions, profile)
    return problems


def _device_problems(imeis: Sequence[str], account: Account, firmware: Firmware | None,
                     versions: Mapping[str, str], profile: Profile) -> list[Problem]:
    # FAULT post04-mismatch-queued: the schedule request skips the make/model/version check, so
    # devices of another model are scheduled and the campaign goes Queued with them (POST-04).
    check_fit = not profile.fault("post04-mismatch-queued")
    seen: set[str] = set()
    problems = []
    for i, imei in enumerate(imeis):
        reason = "Duplicate device in the request." if imei in seen else \
            device_problem(imei, account, firmware, versions, check_fit=check_fit)
        seen.add(imei)
        if reason is not None:
            problems.append(Problem(f"deviceList[{i}]", reason, imei))
    return problems
