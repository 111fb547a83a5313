"""openapi.yaml: valid, faithful to the vendor's pages, self-consistent, and usable by the tools we build on.

Checks that apply to any OpenAPI document (spec validity, every example valid, the linter) run on
conformance/control.yaml too; the control plane's own content is tested in test_control_yaml.py.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import OpenAPIV30SpecValidator, validate
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Err, Ok

from conformance.spec import RULES, load_control, load_openapi, openapi_path
from conformance.spec.openapi import Document, control_path
from conformance.spec.world import ACCOUNT_A, FW_A, default_world

ROOT = Path(__file__).resolve().parent.parent
UPGRADE = "/upgrades/{accountName}/upgrade/{upgradeId}"
#: (path, method) -> (operationId, tag): exactly the operations the document must describe.
OPERATIONS = {
    ("/upgrades", "post"): ("scheduleFirmwareUpgrade", "core"),
    (UPGRADE, "put"): ("updateFirmwareUpgradeDevices", "core"),
    (UPGRADE, "get"): ("listFirmwareUpgradeDetails", "companion"),
    (UPGRADE, "delete"): ("cancelScheduledFirmwareUpgrade", "companion"),
}
BOTH_SCHEMES: list[dict[str, list[str]]] = [{"thingspace_oauth": [], "VZ-M2M-Token": []}]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
DOCUMENTS = {"openapi.yaml": load_openapi, "conformance/control.yaml": load_control}


# --- helpers -------------------------------------------------------------------------------------

def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _at(doc: dict[str, Any], pointer: str) -> Any:
    return Document(doc).at(pointer)


def _deref(doc: dict[str, Any], node: Any) -> Any:
    return Document(doc).deref(node)[0]


def validator(doc: dict[str, Any], pointer: str) -> Any:
    """An OAS 3.0 validator, with format checking, for the schema at ``pointer`` in ``doc`` (the
    package's own ``referencing``-based resolution, as the simulator and the cassette judge use)."""
    return Document(doc).validator(pointer)


def errors(doc: dict[str, Any], pointer: str, value: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator(doc, pointer).iter_errors(value)]


def schema_of(name: str) -> str:
    return f"/components/schemas/{name}"


_SCHEMA_CHILD = {"items", "not", "additionalProperties"}
_SCHEMA_LISTS = {"allOf", "anyOf", "oneOf"}


def iter_examples(doc: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Every example and schema default in ``doc``: (where it is, pointer of its schema, value).

    Media-type and parameter ``example``/``examples`` are checked against their ``schema``; a
    schema's own ``example`` and ``default`` against that schema, at any depth.
    """

    def walk(node: Any, ptr: str, in_schema: bool) -> Iterator[tuple[str, str, Any]]:
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from walk(item, f"{ptr}/{i}", False)
            return
        if not isinstance(node, dict):
            return
        if in_schema:
            for key in ("example", "default"):
                if key in node:
                    yield f"{ptr}/{key}", ptr, node[key]
            for key, child in node.items():
                if key in _SCHEMA_CHILD and isinstance(child, dict):
                    yield from walk(child, f"{ptr}/{key}", True)
                elif key in _SCHEMA_LISTS:
                    for i, sub in enumerate(child):
                        yield from walk(sub, f"{ptr}/{key}/{i}", True)
                elif key == "properties":
                    for name, sub in child.items():
                        yield from walk(sub, f"{ptr}/properties/{_escape(name)}", True)
            return
        if "schema" in node:  # a media type object or a parameter object
            if "example" in node:
                yield f"{ptr}/example", f"{ptr}/schema", node["example"]
            for name, example in node.get("examples", {}).items():
                example = _deref(doc, example)
                if "value" in example:
                    yield f"{ptr}/examples/{_escape(name)}", f"{ptr}/schema", example["value"]
        for key, child in node.items():
            if key in ("example", "examples") or key.startswith("x-"):
                continue
            here = f"{ptr}/{_escape(key)}"
            if key == "schema":
                yield from walk(child, here, True)
            elif key == "schemas" and ptr == "/components":
                for name, sub in child.items():
                    yield from walk(sub, f"{here}/{_escape(name)}", True)
            else:
                yield from walk(child, here, False)

    yield from walk(doc, "", False)


def iter_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def iter_media_types(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every media type object of every request body and response, with where it is."""
    for path, method, op in iter_operations(doc):
        where = f"{method.upper()} {path}"
        if "requestBody" in op:
            for media, obj in _deref(doc, op["requestBody"])["content"].items():
                yield f"{where} request {media}", obj
        for status, response in op["responses"].items():
            for media, obj in _deref(doc, response).get("content", {}).items():
                yield f"{where} {status} {media}", obj


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return load_openapi()


def example_value(doc: dict[str, Any], media_pointer: str, name: str) -> Any:
    return _deref(doc, _at(doc, f"{media_pointer}/examples/{name}"))["value"]


POST_BODY = "/paths/~1upgrades/post/requestBody/content/application~1json"
POST_200 = "/paths/~1upgrades/post/responses/200/content/application~1json"
PUT_BODY = f"/paths/{_escape(UPGRADE)}/put/requestBody/content/application~1json"
PUT_200 = f"/paths/{_escape(UPGRADE)}/put/responses/200/content/application~1json"


# --- both documents: valid, examples valid, plain YAML -------------------------------------------

@pytest.mark.parametrize("name", DOCUMENTS)
def test_document_is_valid_openapi_3_0_3(name: str) -> None:
    document = DOCUMENTS[name]()
    assert document["openapi"] == "3.0.3"
    validate(copy.deepcopy(document), cls=OpenAPIV30SpecValidator)


def test_documents_load_from_where_the_package_looks() -> None:
    assert openapi_path() == ROOT / "openapi.yaml"
    assert control_path() == ROOT / "conformance" / "control.yaml"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_yaml_holds_only_json_values(name: str) -> None:
    """An unquoted 2018-04-01 would load as a date object; an unquoted IMEI as an integer key or number."""
    found: list[str] = []

    def walk(node: Any, ptr: str) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                if not isinstance(key, str):
                    found.append(f"{ptr}: key {key!r} is a {type(key).__name__}")
                walk(child, f"{ptr}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{ptr}/{i}")
        elif isinstance(node, datetime.date | datetime.datetime):
            found.append(f"{ptr}: {node!r} is a {type(node).__name__}, quote it")

    walk(DOCUMENTS[name](), "")
    assert not found, found


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_example_is_valid_against_its_schema(name: str) -> None:
    document = DOCUMENTS[name]()
    examples = list(iter_examples(document))
    # The walk itself must find what is there: a broken walker would pass vacuously.
    assert len(examples) >= (45 if name == "openapi.yaml" else 20), len(examples)
    problems = [f"{where}: {problem}" for where, schema, value in examples
                for problem in errors(document, schema, value)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_request_and_response_body_has_an_example(name: str) -> None:
    document = DOCUMENTS[name]()
    missing = [where for where, media in iter_media_types(document)
               if "example" not in media and not media.get("examples")]
    assert not missing, missing


def test_the_example_checker_does_catch_a_bad_example(doc: dict[str, Any]) -> None:
    """Format checking is on (date, uuid), and references into components resolve."""
    bad = {"accountName": "0000123456-00001", "firmwareName": "x", "startDate": "2018-4-1",
           "deviceList": ["990003425730535"]}
    assert any("date" in e for e in errors(doc, schema_of("FirmwareUpgradeRequest"), bad))
    assert errors(doc, schema_of("UpgradeId"), "not-a-uuid")
    assert errors(doc, f"{POST_BODY}/schema", {**bad, "startDate": "2018-04-01", "deviceList": []})


# --- the vendor pages' own examples ----------------------------------------------------------------
# Typed in from the vendor's two pages exactly as they print them (quotes straightened), then normalised
# as docs/discrepancies.md says: #1 devicelist -> deviceList; "15-digit IMEI" placeholders -> real IMEIs;
# #10 the response echoes the request's account and startDate.

VENDOR_POST_REQUEST = {
    "accountName": "0000123456-00001",
    "firmwareName": "FOTA_Verizon_Model-A_01To02_HF",
    "startDate": "2018-04-01",
    "endDate": "2018-04-05",
    "devicelist": ["15-digit IMEI", "15-digit IMEI"],
}
VENDOR_POST_RESPONSE = {
    "id": "e3a8d88a-04c6-4ef3-b039-89b62f91e962",
    "accountName": "0242078689-00001",
    "firmwareName": "FOTA_Verizon_Model-A_01To02_HF",
    "firmwareTo": "VerizonFirmwareVersion-02",
    "startDate": "2018-03-05",
    "status": "RequestPending",
    "deviceList": [
        {"deviceId": "15-digit IMEI", "status": "RequestPending"},
        {"deviceId": "15-digit IMEI", "status": "RequestPending"},
    ],
}
VENDOR_PUT_REQUEST = {"type": "append", "devicelist": ["990003425730535", "990000473475989"]}
VENDOR_PUT_RESPONSE = {
    "accountName": "0402196254-00001",
    "id": "60b5d639-ccdc-4db8-8824-069bd94c95bf",
    "deviceList": [
        {"deviceId": "990003425730535", "status": "AddDeviceSucceed", "Reason": "Device added Successfully"},
        {"deviceId": "990000473475989", "status": "AddDeviceSucceed", "Reason": "Device added Successfully"},
    ],
}
VENDOR_ERROR = {"errorCode": "error code string", "errorMessage": "error message string"}
#: The IMEIs that replace the POST page's placeholders: devices of the default world that fit FW_A.
POST_IMEIS = ["350000000010001", "350000000010002"]


def normalise_request(body: dict[str, Any], imeis: list[str] | None = None) -> dict[str, Any]:
    out = {key: value for key, value in body.items() if key != "devicelist"}
    replacements = iter(imeis or [])
    out["deviceList"] = [next(replacements) if d == "15-digit IMEI" else d for d in body["devicelist"]]
    return out


def normalise_response(body: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    devices = iter(request["deviceList"])
    return {**body, "accountName": request["accountName"], "startDate": request["startDate"],
            "deviceList": [{**item, "deviceId": next(devices)} for item in body["deviceList"]]}


def test_default_world_holds_the_example_devices() -> None:
    """The examples tell one story in the default world: schedule two devices, append the PUT page's two."""
    account = default_world().account(ACCOUNT_A)
    assert account is not None and account.find_firmware(FW_A.name) == FW_A
    for imei in [*POST_IMEIS, *VENDOR_PUT_REQUEST["devicelist"]]:
        device = account.find_device(imei)
        assert device is not None and device.fits(FW_A), imei


def test_vendor_post_request_fails_as_printed_and_passes_normalised(doc: dict[str, Any]) -> None:
    schema = schema_of("FirmwareUpgradeRequest")
    as_printed = errors(doc, schema, VENDOR_POST_REQUEST)
    assert any("'deviceList' is a required property" in e for e in as_printed), as_printed
    # Spelling fixed but placeholders kept: still not IMEIs.
    placeholders = {**normalise_request(VENDOR_POST_REQUEST, POST_IMEIS),
                    "deviceList": VENDOR_POST_REQUEST["devicelist"]}
    assert any("does not match" in e for e in errors(doc, schema, placeholders))
    normalised = normalise_request(VENDOR_POST_REQUEST, POST_IMEIS)
    assert errors(doc, schema, normalised) == []
    assert example_value(doc, POST_BODY, "vendorPage") == normalised


def test_vendor_post_response_is_consistent_only_once_normalised(doc: dict[str, Any]) -> None:
    schema = schema_of("FirmwareUpgrade")
    request = normalise_request(VENDOR_POST_REQUEST, POST_IMEIS)
    # As printed it has the right shape (deviceId is free text) but answers another request.
    assert errors(doc, schema, VENDOR_POST_RESPONSE) == []
    assert VENDOR_POST_RESPONSE["accountName"] != request["accountName"]
    assert VENDOR_POST_RESPONSE["startDate"] != request["startDate"]
    normalised = normalise_response(VENDOR_POST_RESPONSE, request)
    assert errors(doc, schema, normalised) == []
    assert [d["deviceId"] for d in normalised["deviceList"]] == request["deviceList"]
    # Our example is the normalised page plus the echoed endDate (newer vendor docs list it, docs/discrepancies.md #11).
    ours = example_value(doc, POST_200, "accepted")
    assert ours["endDate"] == request["endDate"]
    assert {k: v for k, v in ours.items() if k != "endDate"} == normalised


def test_vendor_put_request_fails_as_printed_and_passes_normalised(doc: dict[str, Any]) -> None:
    schema = schema_of("FirmwareUpgradeChangeRequest")
    as_printed = errors(doc, schema, VENDOR_PUT_REQUEST)
    assert any("'deviceList' is a required property" in e for e in as_printed), as_printed
    normalised = normalise_request(VENDOR_PUT_REQUEST)
    assert errors(doc, schema, normalised) == []
    assert example_value(doc, PUT_BODY, "append") == normalised


def test_vendor_put_response_is_valid_and_ours_answers_the_post_example(doc: dict[str, Any]) -> None:
    schema = schema_of("FirmwareUpgradeChangeResult")
    assert errors(doc, schema, VENDOR_PUT_RESPONSE) == []
    created = example_value(doc, POST_200, "accepted")
    ours = example_value(doc, PUT_200, "appended")
    assert ours == {**VENDOR_PUT_RESPONSE, "accountName": created["accountName"], "id": created["id"]}
    # docs/discrepancies.md #2: PUT items say Reason; an item with only resultReason still validates
    # (PUT-07 is a SHOULD).
    item = {"deviceId": "990003425730535", "status": "AddDeviceSucceed", "resultReason": "ok"}
    assert errors(doc, schema, {**VENDOR_PUT_RESPONSE, "deviceList": [item]}) == []


def test_vendor_error_body_and_gateway_faults_are_valid(doc: dict[str, Any]) -> None:
    assert errors(doc, schema_of("FotaV1Result"), VENDOR_ERROR) == []
    assert errors(doc, schema_of("FotaV1Result"), {"errorCode": "", "errorMessage": "x"})
    assert errors(doc, schema_of("FotaV1Result"), {"errorMessage": "x"})
    unauthorized = "/components/responses/Unauthorized/content/application~1json/schema"
    for code in ("900901", 900901, "900902"):  # docs/vendor-facts.md: the code arrives as a string or a number
        fault = {"fault": {"code": code, "message": "Invalid Credentials", "description": "Access failure"}}
        assert errors(doc, unauthorized, fault) == []
    assert errors(doc, unauthorized, VENDOR_ERROR) == []
    assert errors(doc, unauthorized, {"fault": {"code": 1.5, "message": "x"}})
    assert errors(doc, unauthorized, {"detail": "Not authenticated"})  # a framework default is neither


def test_examples_tell_one_consistent_story(doc: dict[str, Any]) -> None:
    """docs/discrepancies.md #10: one account, one upgrade id, one startDate across every example."""
    accounts, ids, starts = set(), set(), set()
    for where, _, value in iter_examples(doc):
        if where.startswith("/paths/") and isinstance(value, dict):
            accounts.add(value.get("accountName"))
            ids.add(value.get("id"))
            starts.add(value.get("startDate"))
    assert accounts - {None} == {ACCOUNT_A}
    assert ids - {None} == {"e3a8d88a-04c6-4ef3-b039-89b62f91e962"}
    assert starts - {None} == {"2018-04-01"}


# --- structure: operations, responses, security --------------------------------------------------

def test_exactly_the_four_operations_with_their_ids_and_tags(doc: dict[str, Any]) -> None:
    found = {(path, method): (op["operationId"], op["tags"]) for path, method, op in iter_operations(doc)}
    assert found == {key: (op_id, [tag]) for key, (op_id, tag) in OPERATIONS.items()}
    assert {t["name"] for t in doc["tags"]} == {"core", "companion"}


def test_servers(doc: dict[str, Any]) -> None:
    servers = doc["servers"]
    assert [s["url"] for s in servers] == [
        "https://thingspace.verizon.com/api/fota/v1",
        "https://staging.thingspace.verizon.com/api/fota/v1",
        "http://{host}:{port}/api/fota/v1",
    ]
    variables = servers[2]["variables"]
    assert (variables["host"]["default"], variables["port"]["default"]) == ("127.0.0.1", "8080")


def test_security_schemes(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert set(schemes) == {"thingspace_oauth", "VZ-M2M-Token"}
    assert (schemes["thingspace_oauth"]["type"], schemes["thingspace_oauth"]["scheme"]) == ("http", "bearer")
    assert "api/ts/v1/oauth2/token" in schemes["thingspace_oauth"]["description"]
    m2m = schemes["VZ-M2M-Token"]
    assert (m2m["type"], m2m["in"], m2m["name"]) == ("apiKey", "header", "VZ-M2M-Token")


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operation_needs_both_credentials_at_once(doc: dict[str, Any], path: str, method: str) -> None:
    assert doc["paths"][path][method]["security"] == BOTH_SCHEMES


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_credentials_and_content_type_are_not_declared_as_parameters(
    doc: dict[str, Any], path: str, method: str
) -> None:
    """They come from the security schemes (and the media type); OAS ignores such header parameters anyway."""
    params = [_deref(doc, p) for p in [*doc["paths"][path].get("parameters", []),
                                       *doc["paths"][path][method].get("parameters", [])]]
    headers = {p["name"].lower() for p in params if p["in"] == "header"}
    assert not headers & {"authorization", "vz-m2m-token", "content-type", "accept"}


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operation_documents_200_400_401_as_json(doc: dict[str, Any], path: str, method: str) -> None:
    responses = doc["paths"][path][method]["responses"]
    assert {"200", "400", "401"} <= set(responses)
    for status, response in responses.items():
        assert list(_deref(doc, response)["content"]) == ["application/json"], status
    expected_200 = {"post": "FirmwareUpgrade", "get": "FirmwareUpgrade",
                    "put": "FirmwareUpgradeChangeResult", "delete": "FotaV1SuccessResult"}[method]
    assert responses["200"]["content"]["application/json"]["schema"] == {"$ref": f"#{schema_of(expected_200)}"}
    error_400 = _deref(doc, responses["400"])["content"]["application/json"]["schema"]
    assert error_400 == {"$ref": f"#{schema_of('FotaV1Result')}"}
    error_401 = _deref(doc, responses["401"])["content"]["application/json"]["schema"]
    assert {s["$ref"] for s in error_401["anyOf"]} == {f"#{schema_of(n)}" for n in ("FotaV1Result", "GatewayFault")}


def test_required_fields_are_what_the_suite_relies_on(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    required = {name: set(schemas[name].get("required", [])) for name in schemas}
    assert required["FirmwareUpgradeRequest"] == {"accountName", "firmwareName", "startDate", "deviceList"}
    assert required["FirmwareUpgradeChangeRequest"] == {"type", "deviceList"}
    assert required["FirmwareUpgrade"] == {"id", "accountName", "firmwareName", "firmwareTo", "startDate",
                                           "status", "deviceList"}
    assert required["FirmwareUpgradeChangeResult"] == {"id", "accountName", "deviceList"}
    assert required["FirmwareUpgradeDeviceListItem"] == required["V1DeviceListItem"] == {"deviceId", "status"}
    assert required["FotaV1Result"] == {"errorCode", "errorMessage"}
    assert required["FotaV1SuccessResult"] == {"success"}
    assert schemas["UpgradeStatus"]["enum"] == ["RequestPending", "Queued", "InProgress", "Finished",
                                                "RequestFailed", "UpgradeFailed"]
    # docs/discrepancies.md #19: device statuses are free text.
    assert "enum" not in schemas["FirmwareUpgradeDeviceListItem"]["properties"]["status"]
    assert "Reason" in schemas["V1DeviceListItem"]["properties"]
    assert "resultReason" in schemas["FirmwareUpgradeDeviceListItem"]["properties"]


def test_no_schema_forbids_extra_fields(doc: dict[str, Any]) -> None:
    """Responses may grow fields; request bodies SHOULD ignore unknown ones (WIRE-04)."""
    closed = [ptr for ptr, _, _ in _iter_schema_nodes(doc) if ptr.endswith("/additionalProperties")]
    assert not closed, closed


def _iter_schema_nodes(doc: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    def walk(node: Any, ptr: str) -> Iterator[tuple[str, str, Any]]:
        if isinstance(node, dict):
            for key, child in node.items():
                if key in ("example", "examples"):
                    continue
                if key == "additionalProperties" and child is False:
                    yield f"{ptr}/{key}", ptr, child
                yield from walk(child, f"{ptr}/{_escape(key)}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                yield from walk(child, f"{ptr}/{i}")

    yield from walk(doc, "")


def test_put_body_is_json_and_says_star_star_must_be_accepted(doc: dict[str, Any]) -> None:
    put = doc["paths"][UPGRADE]["put"]
    # Declared as application/json only; why is in the YAML comment next to it.
    assert list(put["requestBody"]["content"]) == ["application/json"]
    assert "*/*" in put["description"] and "WIRE-03" in put["description"]


def test_account_path_parameter_notes_the_vendor_alias(doc: dict[str, Any]) -> None:
    parameter = doc["components"]["parameters"]["accountName"]
    assert parameter["name"] == "accountName" and "{account}" in parameter["description"]


def test_patterns_are_ascii_only(doc: dict[str, Any]) -> None:
    """Python's \\d matches any Unicode digit, so Hypothesis would generate non-ASCII 'IMEIs'."""
    patterns = re.findall(r"'pattern': '([^']*)'", repr(doc))
    assert patterns and not [p for p in patterns if "\\d" in p], patterns
    schemas = doc["components"]["schemas"]
    assert errors(doc, schema_of("Imei"), "99000342573053٥")
    assert schemas["Imei"]["x-fota-semantic-only"] is True


# --- x-rules and links ------------------------------------------------------------------------------

def _always(method: str) -> set[str]:
    common = {"WIRE-01", "WIRE-02", "WIRE-04", "AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04"}
    return common | ({"WIRE-03", "WIRE-05"} if method in ("post", "put") else set())


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_x_rules_name_known_rules(doc: dict[str, Any], path: str, method: str) -> None:
    rules = doc["paths"][path][method]["x-rules"]
    assert rules and len(rules) == len(set(rules))
    assert set(rules) <= set(RULES), set(rules) - set(RULES)
    assert _always(method) <= set(rules)
    family = {"post": "POST", "put": "PUT"}.get(method)
    if family:
        assert {r for r in RULES if r.startswith(family + "-")} <= set(rules)
    assert not {r for r in rules if r.startswith("SIM-")}


def test_x_rules_of_the_companion_operations(doc: dict[str, Any]) -> None:
    assert "LIFE-04" in doc["paths"][UPGRADE]["get"]["x-rules"]
    assert "LIFE-06" in doc["paths"][UPGRADE]["delete"]["x-rules"]


def test_every_rule_governs_some_operation() -> None:
    named = {rule for document in (load_openapi(), load_control())
             for _, _, op in iter_operations(document) for rule in op.get("x-rules", [])}
    assert set(RULES) - named == set()


def test_links_from_post_reach_get_put_and_delete(doc: dict[str, Any]) -> None:
    links = doc["paths"]["/upgrades"]["post"]["responses"]["200"]["links"]
    operation_ids = {op["operationId"]: (path, method) for path, method, op in iter_operations(doc)}
    assert {link["operationId"] for link in links.values()} == {
        "listFirmwareUpgradeDetails", "updateFirmwareUpgradeDevices", "cancelScheduledFirmwareUpgrade"}
    request_props = doc["components"]["schemas"]["FirmwareUpgradeRequest"]["properties"]
    response_props = doc["components"]["schemas"]["FirmwareUpgrade"]["properties"]
    for name, link in links.items():
        path, method = operation_ids[link["operationId"]]
        declared = [_deref(doc, p) for p in [*doc["paths"][path].get("parameters", []),
                                             *doc["paths"][path][method].get("parameters", [])]]
        required = {p["name"] for p in declared if p.get("required")}
        assert set(link["parameters"]) == required, name
        assert link["parameters"] == {"upgradeId": "$response.body#/id",
                                      "accountName": "$request.body#/accountName"}, name
    assert "id" in response_props and "accountName" in request_props


def test_schemathesis_follows_the_declared_links(st_schema: Any) -> None:
    machine = st_schema.as_state_machine()
    # Private attribute: schemathesis offers no public listing of a state machine's links.
    outgoing = machine._transitions.operations["POST /upgrades"].outgoing
    declared = {link.name: link for link in outgoing if not link.is_inferred}
    assert set(declared) == {"listFirmwareUpgradeDetails", "updateFirmwareUpgradeDevices",
                             "cancelScheduledFirmwareUpgrade"}
    for link in declared.values():
        assert {(p.name, p.expression) for p in link.parameters} == {
            ("accountName", "$request.body#/accountName"), ("upgradeId", "$response.body#/id")}


# --- schemathesis can generate from it -------------------------------------------------------------

@pytest.fixture(scope="module")
def st_schema() -> Any:
    # A default config, not one discovered on disk: the suite's own schemathesis.toml (auth, base
    # URL) must not change what this test generates.
    return schemathesis.openapi.from_dict(copy.deepcopy(load_openapi()), config=SchemathesisConfig())


SETTINGS = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
ST_OPERATIONS = [(path, method.upper()) for path, method in OPERATIONS]


def test_schemathesis_loads_all_four_operations_without_warnings(st_schema: Any) -> None:
    results = list(st_schema.get_all_operations())
    assert not [r.err() for r in results if isinstance(r, Err)]
    assert sorted(r.ok().label for r in results if isinstance(r, Ok)) == sorted(f"{m} {p}" for p, m in ST_OPERATIONS)
    assert st_schema.iter_schema_warnings() == []


def _body_schema(path: str, method: str) -> str | None:
    return {"POST": schema_of("FirmwareUpgradeRequest"),
            "PUT": schema_of("FirmwareUpgradeChangeRequest")}.get(method)


def _path_errors(doc: dict[str, Any], case: Any) -> list[str]:
    return [*errors(doc, schema_of("AccountName"), case.path_parameters.get("accountName")),
            *errors(doc, schema_of("UpgradeId"), case.path_parameters.get("upgradeId"))]


@pytest.mark.parametrize(("path", "method"), ST_OPERATIONS)
def test_schemathesis_positive_cases_are_valid_by_our_validator(
    st_schema: Any, doc: dict[str, Any], path: str, method: str
) -> None:
    """Both engines read the document alike: what schemathesis calls valid, OAS30Validator accepts."""
    body_schema = _body_schema(path, method)
    seen: list[Any] = []

    @SETTINGS
    @given(case=st_schema[path][method].as_strategy(GenerationMode.POSITIVE))
    def check(case: Any) -> None:
        seen.append(case)
        assert case.headers["Authorization"].startswith("Bearer ")
        assert "VZ-M2M-Token" in case.headers
        if path != "/upgrades":
            assert _path_errors(doc, case) == []
        if body_schema:
            assert case.media_type == "application/json"
            assert errors(doc, body_schema, case.body) == []

    check()
    assert seen


@pytest.mark.parametrize(("path", "method"), ST_OPERATIONS)
def test_schemathesis_generates_negative_cases(st_schema: Any, doc: dict[str, Any], path: str, method: str) -> None:
    """Negative mode breaks the data (body or path) and, separately, the credentials."""
    body_schema = _body_schema(path, method)
    found = {"broken data": 0, "broken credentials": 0, "not marked negative": 0}

    # Generation only: a plain count needs no shrinking, which is what makes `find` slow here
    # (minimising a schemathesis case takes minutes).
    @settings(SETTINGS, max_examples=60, phases=[Phase.generate])
    @given(case=st_schema[path][method].as_strategy(GenerationMode.NEGATIVE))
    def draw(case: Any) -> None:
        if case.meta.generation.mode is not GenerationMode.NEGATIVE:
            found["not marked negative"] += 1
        if body_schema:
            found["broken data"] += isinstance(case.body, dict) and bool(errors(doc, body_schema, case.body))
        else:
            found["broken data"] += bool(_path_errors(doc, case))
        headers = case.headers or {}
        found["broken credentials"] += ("VZ-M2M-Token" not in headers
                                        or not str(headers.get("Authorization", "")).startswith("Bearer "))

    draw()
    assert found["broken data"] and found["broken credentials"] and not found["not marked negative"], found


# --- the linter --------------------------------------------------------------------------------------

def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _linter() -> Path:
    """Redocly CLI: $FOTA_OPENAPI_LINTER, else what `.ci/lint-openapi.sh --install-only` installed."""
    configured = os.environ.get("FOTA_OPENAPI_LINTER")
    linter = Path(configured) if configured else ROOT / ".ci" / "node_modules" / ".bin" / "redocly"
    if not linter.is_file():
        reason = (f"Redocly CLI not found at {linter}: run `bash .ci/lint-openapi.sh --install-only` "
                  "or set FOTA_OPENAPI_LINTER to a redocly binary")
        if _in_ci():
            pytest.fail(f"{reason} (CI=true: the linter must run in CI)")
        pytest.skip(reason)
    return linter


def test_redocly_config_lints_both_documents() -> None:
    config = yaml.safe_load((ROOT / "redocly.yaml").read_text(encoding="utf-8"))
    assert "recommended-strict" in config["extends"]
    assert {api["root"] for api in config["apis"].values()} == set(DOCUMENTS)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_redocly_reports_no_problems(name: str) -> None:
    linter = _linter()
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    # cwd=ROOT: Redocly reads the rule set from ./redocly.yaml.
    proc = subprocess.run([str(linter), "lint", "--format=json", name], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"linter printed no JSON report (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    problems = [f"{p['severity']} {p['ruleId']}: {p['message']} at "
                f"{', '.join(loc.get('pointer', '?') for loc in p.get('location', []))}"
                for p in report["problems"]]
    assert report["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, "\n".join(problems)
    assert proc.returncode == 0, proc.stderr
