"""The world: accounts, firmware, devices and credentials (CONTRACT.md §1 fixes its JSON shape).

Shared by the simulator (its state starts from a world) and the suite (it loads one through the
control plane, or reads one with ``--world`` to learn what a real target already holds).
Parsing is strict about what the contract requires and silent about fields it does not know,
so that other people's world files with extra fields still load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

__all__ = [
    "Account",
    "Credential",
    "Device",
    "Firmware",
    "World",
    "WorldError",
    "default_world",
    "format_instant",
    "parse_instant",
]


class WorldError(ValueError):
    """A world that cannot be used; the message is one line, fit for a CLI error."""


def parse_instant(text: object, *, where: str = "now") -> datetime:
    """An RFC 3339 instant, normalised to UTC; ``Z`` and offsets are both accepted."""
    if not isinstance(text, str):
        raise WorldError(f"{where}: expected an RFC 3339 date-time string, got {type(text).__name__}")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise WorldError(f"{where}: {text!r} is not an RFC 3339 date-time") from None
    if value.tzinfo is None:
        raise WorldError(f"{where}: {text!r} has no time zone (use Z for UTC)")
    return value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Firmware:
    name: str
    make: str
    model: str
    from_version: str
    to_version: str

    def to_json(self) -> dict[str, Any]:
        return {"firmwareName": self.name, "make": self.make, "model": self.model,
                "fromVersion": self.from_version, "toVersion": self.to_version}


@dataclass(frozen=True, slots=True)
class Device:
    imei: str
    make: str
    model: str
    firmware: str
    reachable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"imei": self.imei, "make": self.make, "model": self.model,
                "firmware": self.firmware, "reachable": self.reachable}

    def fits(self, firmware: Firmware) -> bool:
        """Right make, model and current version for this firmware image."""
        return (self.make, self.model, self.firmware) == (firmware.make, firmware.model, firmware.from_version)


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    firmware: tuple[Firmware, ...] = ()
    devices: tuple[Device, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"accountName": self.name, "firmware": [f.to_json() for f in self.firmware],
                "devices": [d.to_json() for d in self.devices]}

    def find_firmware(self, name: str) -> Firmware | None:
        return next((f for f in self.firmware if f.name == name), None)

    def find_device(self, imei: str) -> Device | None:
        return next((d for d in self.devices if d.imei == imei), None)


@dataclass(frozen=True, slots=True)
class Credential:
    bearer: str
    m2m: str
    accounts: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"bearer": self.bearer, "m2m": self.m2m, "accounts": list(self.accounts)}


@dataclass(frozen=True, slots=True)
class World:
    now: datetime
    credentials: tuple[Credential, ...] = ()
    accounts: tuple[Account, ...] = ()
    #: Unknown top-level fields, kept so that a world round-trips.
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def today(self) -> date:
        return self.now.date()

    def account(self, name: str) -> Account | None:
        return next((a for a in self.accounts if a.name == name), None)

    def credential_for(self, account: str) -> Credential | None:
        return next((c for c in self.credentials if account in c.accounts), None)

    def to_json(self) -> dict[str, Any]:
        return {**self.extra, "now": format_instant(self.now),
                "credentials": [c.to_json() for c in self.credentials],
                "accounts": [a.to_json() for a in self.accounts]}

    @classmethod
    def from_json(cls, data: object) -> World:
        """Parse and check a world; raises WorldError with a one-line message naming the field."""
        obj = _object(data, "world")
        known = {"now", "credentials", "accounts"}
        accounts = tuple(_account(a, f"accounts[{i}]") for i, a in enumerate(_list(obj, "accounts", "world")))
        names = [a.name for a in accounts]
        if len(set(names)) != len(names):
            raise WorldError("accounts: the same accountName appears twice")
        imeis = [d.imei for a in accounts for d in a.devices]
        if len(set(imeis)) != len(imeis):
            raise WorldError("accounts: the same device imei appears twice")
        credentials = tuple(_credential(c, f"credentials[{i}]")
                            for i, c in enumerate(_list(obj, "credentials", "world")))
        # A credential may name an account the world does not describe (CONTRACT §1's own example
        # does: beta's account has no entry); such an account simply holds nothing.
        return cls(now=parse_instant(obj.get("now"), where="now"), credentials=credentials,
                   accounts=accounts, extra={k: v for k, v in obj.items() if k not in known})

    @classmethod
    def load(cls, path: str | Path) -> World:
        """Read a world file; every failure (missing, not JSON, wrong shape) is a WorldError."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise WorldError(f"cannot read world file {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") \
                from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorldError(f"world file {str(path)!r} is not JSON: {exc.msg} at line {exc.lineno}") from None
        return cls.from_json(data)


def _object(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise WorldError(f"{where}: expected a JSON object, got {type(data).__name__}")
    return data


def _list(obj: dict[str, Any], key: str, where: str, *, required: bool = True) -> list[Any]:
    if key not in obj:
        if required:
            raise WorldError(f"{where}: missing {key!r}")
        return []
    value = obj[key]
    if not isinstance(value, list):
        raise WorldError(f"{where}.{key}: expected a list, got {type(value).__name__}")
    return value


def _str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise WorldError(f"{where}.{key}: expected a non-empty string, got {value!r}")
    return value


def _account(data: object, where: str) -> Account:
    obj = _object(data, where)
    firmware = tuple(
        Firmware(name=_str(f, "firmwareName", w), make=_str(f, "make", w), model=_str(f, "model", w),
                 from_version=_str(f, "fromVersion", w), to_version=_str(f, "toVersion", w))
        for i, raw in enumerate(_list(obj, "firmware", where, required=False))
        for w in [f"{where}.firmware[{i}]"]
        for f in [_object(raw, w)]
    )
    devices = []
    for i, raw in enumerate(_list(obj, "devices", where, required=False)):
        w = f"{where}.devices[{i}]"
        d = _object(raw, w)
        reachable = d.get("reachable", True)
        if not isinstance(reachable, bool):
            raise WorldError(f"{w}.reachable: expected true or false, got {reachable!r}")
        devices.append(Device(imei=_str(d, "imei", w), make=_str(d, "make", w), model=_str(d, "model", w),
                              firmware=_str(d, "firmware", w), reachable=reachable))
    return Account(name=_str(obj, "accountName", where), firmware=firmware, devices=tuple(devices))


def _credential(data: object, where: str) -> Credential:
    obj = _object(data, where)
    accounts = _list(obj, "accounts", where)
    if not all(isinstance(a, str) for a in accounts):
        raise WorldError(f"{where}.accounts: expected a list of account names")
    return Credential(bearer=_str(obj, "bearer", where), m2m=_str(obj, "m2m", where), accounts=tuple(accounts))


# --- the built-in world -------------------------------------------------------------------------

ACCOUNT_A = "0000123456-00001"
ACCOUNT_B = "0000654321-00001"
FW_A = Firmware("FOTA_Verizon_Model-A_01To02_HF", "Verizon", "Model-A",
                "VerizonFirmwareVersion-01", "VerizonFirmwareVersion-02")
FW_B = Firmware("FOTA_Verizon_Model-B_03To04_HF", "Verizon", "Model-B",
                "VerizonFirmwareVersion-03", "VerizonFirmwareVersion-04")


def _imeis(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{n:04d}" for n in range(1, count + 1)]


def default_world(now: datetime | None = None) -> World:
    """The built-in world: what ``simulate`` serves and what the suite loads through the control plane.

    Account A holds a pool of Model-A devices large enough for the concurrency scenario (60),
    devices that fit no firmware of theirs (wrong version, other model), and unreachable ones;
    account B exists so that isolation (AUTH-04) has someone else's data to protect.
    """
    if now is None:
        now = datetime.combine(datetime.now(UTC).date(), time(0, 0), tzinfo=UTC)
    a_devices = [Device("990003425730535", "Verizon", "Model-A", FW_A.from_version),
                 Device("990000473475989", "Verizon", "Model-A", FW_A.from_version)]
    a_devices += [Device(i, "Verizon", "Model-A", FW_A.from_version) for i in _imeis("35000000001", 60)]
    # Fit FW_A but never answer: campaigns of only these end UpgradeFailed.
    a_devices += [Device(i, "Verizon", "Model-A", FW_A.from_version, reachable=False)
                  for i in _imeis("35000000002", 3)]
    # Model-A already at the target version: wrong version for FW_A.
    a_devices += [Device(i, "Verizon", "Model-A", FW_A.to_version) for i in _imeis("35000000003", 2)]
    a_devices += [Device(i, "Verizon", "Model-B", FW_B.from_version) for i in _imeis("35000000004", 4)]
    b_devices = [Device(i, "Verizon", "Model-A", FW_A.from_version) for i in _imeis("35000000009", 4)]
    return World(
        now=now,
        credentials=(Credential("bearer-alpha", "m2m-alpha", (ACCOUNT_A,)),
                     Credential("bearer-beta", "m2m-beta", (ACCOUNT_B,))),
        accounts=(Account(ACCOUNT_A, (FW_A, FW_B), tuple(a_devices)),
                  Account(ACCOUNT_B, (FW_A,), tuple(b_devices))),
    )
