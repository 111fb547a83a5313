"""conformance/control.yaml: the control plane of docs/simulator-contract.md, and its World schema.

Generic checks (valid OpenAPI, every example valid, the linter) run on this document from
test_openapi.py; here: that it says what the contract fixes, and that the World schema (one file,
conformance/spec/world.schema.json, referred to by the document) and conformance.spec.world agree
about what a world is.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Err, Ok

from conformance.spec import RULES, World, WorldError, default_world, load_control
from conformance.spec.openapi import control_path
from conformance.spec.world import world_schema, world_schema_path

WORLD = "/components/schemas/World"


@pytest.fixture(scope="module")
def control() -> dict[str, Any]:
    return load_control()


def world_errors(control: dict[str, Any], value: Any) -> list[str]:
    base = "urn:control"
    registry: Registry[Any] = Registry().with_resource(base, DRAFT4.create_resource(control))
    checker = OAS30Validator({"$ref": f"{base}#{WORLD}"}, registry=registry, format_checker=oas30_format_checker)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in checker.iter_errors(value)]


def test_exactly_the_three_calls_of_the_contract(control: dict[str, Any]) -> None:
    calls = {(path, method) for path, item in control["paths"].items() for method in item}
    assert calls == {("/__control/clock", "get"), ("/__control/clock", "put"), ("/__control/world", "put")}
    clock, world = control["paths"]["/__control/clock"], control["paths"]["/__control/world"]
    assert set(clock["get"]["responses"]) >= {"200"}
    assert set(clock["put"]["responses"]) == {"200", "400"}
    assert set(world["put"]["responses"]) == {"204", "400"}
    assert "content" not in world["put"]["responses"]["204"]


def test_no_credentials_are_needed(control: dict[str, Any]) -> None:
    assert control["security"] == []
    assert all(op["security"] == [] for item in control["paths"].values() for op in item.values())
    assert "securitySchemes" not in control.get("components", {})


def test_paths_hang_off_the_api_base_url(control: dict[str, Any]) -> None:
    (server,) = control["servers"]
    assert server["url"] == "{apiBaseUrl}"
    assert server["variables"]["apiBaseUrl"]["default"].endswith("/api/fota/v1")


def test_x_rules_are_sim_rules(control: dict[str, Any]) -> None:
    for item in control["paths"].values():
        for op in item.values():
            assert op["x-rules"] and set(op["x-rules"]) <= {r for r in RULES if r.startswith("SIM-")}


@pytest.mark.parametrize("now", [None, datetime(2026, 3, 1, tzinfo=UTC), datetime(2031, 12, 31, 23, 59, tzinfo=UTC)])
def test_default_world_is_a_valid_world(control: dict[str, Any], now: datetime | None) -> None:
    world = default_world(now)
    assert world_errors(control, world.to_json()) == []
    assert World.from_json(world.to_json()) == world


def test_world_examples_load_with_the_world_parser(control: dict[str, Any]) -> None:
    """The schema and conformance.spec.world agree on the document's own example."""
    examples = control["paths"]["/__control/world"]["put"]["requestBody"]["content"]["application/json"]["examples"]
    for example in examples.values():
        assert world_errors(control, example["value"]) == []
        World.from_json(example["value"])


def test_the_contract_example_world_loads_although_it_lacks_an_account() -> None:
    """A credential may name an account that the world does not describe (the format allows it, and
    worlds written that way exist): it loads, and such an account simply holds nothing."""
    world = default_world().to_json()
    world["accounts"] = [a for a in world["accounts"] if a["accountName"] == "0000123456-00001"]
    loaded = World.from_json(world)
    assert loaded.account("0000654321-00001") is None
    assert loaded.undescribed_accounts() == ["0000654321-00001"]
    assert loaded.credential_for("0000654321-00001") is not None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda w: w.pop("now"), "now is required"),
        (lambda w: w.update(now="yesterday"), "now is an RFC 3339 date-time"),
        (lambda w: w.pop("accounts"), "accounts is required"),
        (lambda w: w["credentials"][0].pop("m2m"), "a credential needs both tokens"),
        (lambda w: w["accounts"][0]["devices"][1].update(reachable="no"), "reachable is a boolean"),
        (lambda w: w["accounts"][0]["devices"][0].pop("imei"), "a device needs an imei"),
        (lambda w: w["accounts"][0]["firmware"][0].update(toVersion=""), "names are non-empty"),
    ],
)
def test_broken_worlds_are_refused_by_schema_and_parser(control: dict[str, Any], change: Any, why: str) -> None:
    world = default_world().to_json()
    change(world)
    assert world_errors(control, world), why
    with pytest.raises(WorldError):
        World.from_json(world)


def test_unknown_fields_and_a_missing_reachable_are_fine(control: dict[str, Any]) -> None:
    world = default_world().to_json()
    world["comment"] = "extra top-level field"
    world["accounts"][0]["devices"][0].pop("reachable")
    world["accounts"][0]["devices"][0]["note"] = "extra device field"
    assert world_errors(control, world) == []
    parsed = World.from_json(world)
    assert parsed.accounts[0].devices[0].reachable is True
    device = control["components"]["schemas"]["World"]["properties"]["accounts"]["items"]["properties"]["devices"]
    assert device["items"]["properties"]["reachable"]["default"] is True


def test_the_world_schema_is_one_file_that_the_document_refers_to(control: dict[str, Any]) -> None:
    raw = yaml.safe_load(control_path().read_text(encoding="utf-8"))
    assert raw["components"]["schemas"]["World"] == {"$ref": "spec/world.schema.json"}
    assert control_path().parent / "spec" / "world.schema.json" == world_schema_path()
    assert control["components"]["schemas"]["World"] == world_schema()


def test_schemathesis_loads_the_control_plane(control: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_dict(copy.deepcopy(control), config=SchemathesisConfig())
    results = list(schema.get_all_operations())
    assert not [r.err() for r in results if isinstance(r, Err)]
    labels = sorted(r.ok().label for r in results if isinstance(r, Ok))
    assert labels == ["GET /__control/clock", "PUT /__control/clock", "PUT /__control/world"]
    assert schema.iter_schema_warnings() == []
