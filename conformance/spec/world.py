"""The world: accounts, firmware, devices and credentials, in the JSON format of
docs/simulator-contract.md ("The world"), whose JSON Schema ships beside this module
(world.schema.json; conformance/control.yaml refers to the same file).

Shared by the simulator (its state starts from a world) and the suite (it loads one through the
control plane, or reads one with ``--world`` to learn what a real target already holds).
Every world is validated against the schema first — every problem one line naming the field, e.g.
``world.json: accounts[0].devices[2].imei: 12 is not of type 'string'`` — and then for what a schema
cannot say: ``now`` is a real instant with a time zone, and account names and IMEIs are unique.
Fields the format does not know are ignored, so that other people's world files with extra fields
still load.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, ValidationError

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
    "schema_problems",
    "world_schema",
    "world_schema_path",
]

#: How much of an offending value a problem line quotes (a whole list pasted into a string field
#: would otherwise make the line unreadable).
_MAX_PROBLEM = 200


class WorldError(ValueError):
    """A world that cannot be used. ``problems`` has one line per problem, each naming the field; the
    message is the first of them (one line, fit for a CLI error) and says how many more there are."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        more = len(self.problems) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(self.problems[0] + tail)


def world_schema_path() -> Path:
    return Path(__file__).resolve().parent / "world.schema.json"


@cache
def world_schema() -> dict[str, Any]:
    """The world format as JSON Schema (shared and cached: callers must not mutate it)."""
    with world_schema_path().open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@cache
def _validator() -> Draft4Validator:
    # Draft 4: the schema is also an OpenAPI 3.0 Schema Object, whose dialect is based on it. No
    # format checker: `now` gets a better message from parse_instant below than "is not a 'date-time'".
    return Draft4Validator(world_schema())


def _where(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _problem(error: ValidationError) -> str:
    where = _where(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((n for n in error.validator_value if n not in error.instance and repr(n) in error.message),
                       None)
        if missing is not None:
            return f"{where + '.' if where else ''}{missing}: required but missing"
    message = error.message if len(error.message) <= _MAX_PROBLEM else error.message[:_MAX_PROBLEM] + "…"
    return f"{where}: {message}" if where else message


def schema_problems(data: object) -> list[str]:
    """Every way ``data`` breaks the world schema, one line each."""
    try:
        key = json.dumps(data, sort_keys=True)
    except (TypeError, ValueError):  # not JSON data at all (a caller's Python object)
        return _problems(data)
    return list(_problems_of_json(key))


@lru_cache(maxsize=32)
def _problems_of_json(text: str) -> tuple[str, ...]:
    # Validating costs ~10 ms for the suite's world, and a run loads the same few worlds dozens of
    # times through the control plane: remember the verdict per document.
    return tuple(_problems(json.loads(text)))


def _problems(data: object) -> list[str]:
    return [" ".join(_problem(e).split()) for e in _validator().iter_errors(data)]


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

    def undescribed_accounts(self) -> list[str]:
        """Accounts a credential names that ``accounts`` does not describe: they exist and hold nothing
        (the format allows it; ``fota-conformance world --check`` mentions them)."""
        described = {a.name for a in self.accounts}
        return list(dict.fromkeys(n for c in self.credentials for n in c.accounts if n not in described))

    @classmethod
    def from_json(cls, data: object, *, source: str | None = None) -> World:
        """Validate and parse a world. Raises WorldError with every problem, one line each naming the
        field, prefixed with ``source`` (the file name) when given."""
        problems = schema_problems(data)
        if not problems:
            assert isinstance(data, dict)
            problems = _semantic_problems(data)
        if problems:
            raise WorldError([f"{source}: {p}" if source else p for p in problems])
        assert isinstance(data, dict)
        credentials = tuple(Credential(bearer=c["bearer"], m2m=c["m2m"], accounts=tuple(c["accounts"]))
                            for c in data["credentials"])
        return cls(now=parse_instant(data["now"]), credentials=credentials,
                   accounts=tuple(_account(a) for a in data["accounts"]),
                   extra={k: v for k, v in data.items() if k not in ("now", "credentials", "accounts")})

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
        return cls.from_json(data, source=str(path))


def _semantic_problems(data: dict[str, Any]) -> list[str]:
    """What the schema cannot say: a real instant with a time zone, unique account names and IMEIs."""
    problems = []
    try:
        parse_instant(data["now"])
    except WorldError as exc:
        problems.append(str(exc))
    names: dict[str, str] = {}
    imeis: dict[str, str] = {}
    for i, account in enumerate(data["accounts"]):
        where = f"accounts[{i}].accountName"
        name = account["accountName"]
        if name in names:
            problems.append(f"{where}: {name!r} appears twice (also {names[name]})")
        names.setdefault(name, where)
        for j, device in enumerate(account.get("devices", [])):
            where = f"accounts[{i}].devices[{j}].imei"
            imei = device["imei"]
            if imei in imeis:
                problems.append(f"{where}: {imei!r} appears twice (also {imeis[imei]})")
            imeis.setdefault(imei, where)
    return problems


def _account(data: dict[str, Any]) -> Account:
    firmware = tuple(Firmware(name=f["firmwareName"], make=f["make"], model=f["model"],
                              from_version=f["fromVersion"], to_version=f["toVersion"])
                     for f in data.get("firmware", []))
    devices = tuple(Device(imei=d["imei"], make=d["make"], model=d["model"], firmware=d["firmware"],
                           reachable=d.get("reachable", True)) for d in data.get("devices", []))
    return Account(name=data["accountName"], firmware=firmware, devices=devices)


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
