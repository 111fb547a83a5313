"""Structural request checks against openapi.yaml itself (one source of truth), and parsing.

Schemas are found by operationId, never by component name, and every ``$ref`` is resolved by
``referencing`` (``spec.openapi.Document``), so a colleague may rename or restructure components
freely. A refusal names the first offending field by its JSON path (``deviceList[2]: '12' is not of type 'string'``).

openapi.yaml marks some constraints ``x-fota-semantic-only`` (the IMEI pattern): the rules treat a
value that breaks them as a *semantic* problem (POST-04, PUT-03), so they are not enforced here;
the model rejects such devices itself, the way the vendor does ("Invalid Device IMEI.").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import date, timedelta
from typing import Any

from jsonschema.exceptions import ValidationError, best_match

from conformance.simulator.campaign import ScheduleRequest
from conformance.simulator.errors import invalid
from conformance.simulator.model import ChangeKind
from conformance.simulator.profile import Profile
from conformance.spec.openapi import Document, escape

__all__ = ["RequestSchemas", "parse_change", "parse_schedule"]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _path_text(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class RequestSchemas:
    """The request body and path parameter schemas of each operation of an OpenAPI 3.0 document."""

    def __init__(self, document: dict[str, Any]) -> None:
        doc = self.document = Document(document)
        #: operationId → (pointer, schema with its top-level $ref followed)
        self._bodies: dict[str, tuple[str, dict[str, Any]]] = {}
        self._params: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
        for path, item in document.get("paths", {}).items():
            at = f"/paths/{escape(path)}"
            common = [(p, f"{at}/parameters/{i}") for i, p in enumerate(item.get("parameters", []))]
            for method, op in item.items():
                if method == "parameters" or not isinstance(op, dict) or "operationId" not in op:
                    continue
                op_id, op_at = op["operationId"], f"{at}/{method}"
                own = [(p, f"{op_at}/parameters/{i}") for i, p in enumerate(op.get("parameters", []))]
                params = [doc.deref(p, ptr) for p, ptr in (*common, *own)]
                self._params[op_id] = {p["name"]: doc.deref(p.get("schema", {}), f"{ptr}/schema")[::-1]
                                       for p, ptr in params if p.get("in") == "path"}
                if "requestBody" not in op:
                    continue
                body, body_at = doc.deref(op["requestBody"], f"{op_at}/requestBody")
                content = body.get("content", {})
                media = "application/json" if "application/json" in content else next(iter(content), None)
                if media is not None and "schema" in content[media]:
                    media_at = f"{body_at}/content/{escape(media)}/schema"
                    self._bodies[op_id] = doc.deref(content[media]["schema"], media_at)[::-1]
        # Built once: a validator per request would redo the schema checks jsonschema does on creation.
        self._body_validators = {op_id: doc.validator(ptr) for op_id, (ptr, _) in self._bodies.items()}
        self._param_validators = {op_id: {name: doc.validator(ptr) for name, (ptr, _) in params.items()}
                                  for op_id, params in self._params.items()}

    def body_schema(self, operation_id: str) -> dict[str, Any]:
        """The request body schema (its top-level $ref followed; nested ones stay references); a
        KeyError names an operation the document lacks."""
        try:
            return self._bodies[operation_id][1]
        except KeyError:
            raise KeyError(f"openapi.yaml has no JSON request body for operation {operation_id!r}") from None

    def body_fields(self, operation_id: str) -> frozenset[str]:
        return frozenset(self.body_schema(operation_id).get("properties", {}))

    def check_body(self, operation_id: str, body: Any, *, allow_empty_device_list: bool = False,
                   profile: Profile | None = None) -> None:
        """Raise a 400 ApiError naming the first structural problem of ``body``."""

        def relevant(e: ValidationError) -> bool:
            if e.validator == "pattern" and e.schema.get("x-fota-semantic-only"):
                return False
            if e.validator == "format" and e.validator_value == "date" and profile is not None \
                    and _lenient_date(e.instance, profile) is not None:
                return False  # a planted lenient date reading (see _lenient_date)
            return not (allow_empty_device_list and e.validator == "minItems" and list(e.path) == ["deviceList"])

        self.body_schema(operation_id)  # a KeyError naming the operation when the document lacks it
        errors = [e for e in self._body_validators[operation_id].iter_errors(body) if relevant(e)]
        if errors:
            raise _refusal(best_match(errors))

    def check_path(self, operation_id: str, values: Mapping[str, str]) -> None:
        validators = self._param_validators.get(operation_id, {})
        for name, (_, schema) in self._params.get(operation_id, {}).items():
            value = values.get(name, "")
            if schema.get("format") == "uuid" and not _UUID.fullmatch(value):
                raise invalid(name, f"{value!r} is not a UUID")
            error = best_match(validators[name].iter_errors(value))
            if error is not None:
                raise invalid(name, error.message)


def _refusal(error: ValidationError) -> Exception:
    where = _path_text(error.path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((p for p in error.validator_value if p not in error.instance), "?")
        return invalid(_path_text([*error.path, missing]), "a required property is missing")
    return invalid(where or "body", error.message)


# --- from a checked body to the model's arguments ------------------------------------------------

def _lenient_date(value: object, profile: Profile) -> date | None:
    """What the planted lenient date readings make of a value that is no YYYY-MM-DD date."""
    if not isinstance(value, str):
        return None
    if profile.fault("post03-unicode-digit-date"):
        # FAULT post03-unicode-digit-date: digits of any script are read as digits (POST-03).
        value = "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in value)
        with suppress(ValueError):
            return date.fromisoformat(value) if _DATE.fullmatch(value) else None
    if profile.fault("post03-impossible-date-rolled") and _DATE.fullmatch(value):
        # FAULT post03-impossible-date-rolled: the day may overflow into the next month (POST-03).
        year, month, day = (int(part) for part in value.split("-"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            with suppress(ValueError, OverflowError):
                return date(year, month, 1) + timedelta(days=day - 1)
    return None


def _date(body: Mapping[str, Any], key: str, profile: Profile) -> date | None:
    value = body.get(key)
    if value is None:
        return None
    parsed: date | None = None
    # Stricter than date.fromisoformat, which also takes 20180401 and week dates.
    with suppress(ValueError):
        if isinstance(value, str) and _DATE.fullmatch(value):
            parsed = date.fromisoformat(value)
    parsed = parsed or _lenient_date(value, profile)
    if parsed is None:
        raise invalid(key, f"{value!r} is not a YYYY-MM-DD date")
    if parsed.year == 9999 and profile.fault("wire02-crash-on-extreme-date"):
        # FAULT wire02-crash-on-extreme-date: "the day after" overflows and escapes as a 500 (WIRE-02).
        raise invalid(key, "OverflowError: date value out of range", status=500)
    return parsed


def _ascii_imei(imei: str) -> str:
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in imei)


def parse_schedule(body: Mapping[str, Any], profile: Profile | None = None) -> ScheduleRequest:
    """A checked FirmwareUpgradeRequest body as the model's ScheduleRequest (unknown fields dropped)."""
    profile = profile or Profile()
    start = _date(body, "startDate", profile)
    if start is None:
        raise invalid("startDate", "a required property is missing")
    firmware_to = body.get("firmwareTo")
    if firmware_to == "" and profile.fault("post04-empty-firmware-to-ignored"):
        # FAULT post04-empty-firmware-to-ignored: a falsy test takes "" for absent (POST-04).
        firmware_to = None
    devices = tuple(body["deviceList"])
    if profile.fault("post04-unicode-digit-imei"):
        # FAULT post04-unicode-digit-imei: IMEIs are normalised to ASCII digits, so "…٥" names
        # device "…5" and a malformed request schedules a real device (POST-04).
        devices = tuple(_ascii_imei(d) for d in devices)
    return ScheduleRequest(account=body["accountName"], firmware_name=body["firmwareName"], start_date=start,
                           end_date=_date(body, "endDate", profile), devices=devices,
                           firmware_to=firmware_to if isinstance(firmware_to, str) else None)


def parse_change(body: Mapping[str, Any]) -> tuple[ChangeKind, tuple[str, ...]]:
    kind: ChangeKind = "remove" if body["type"] == "remove" else "append"
    return kind, tuple(body["deviceList"])

