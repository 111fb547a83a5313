"""Where the OpenAPI documents live, loading them (cached: they never change in a process), and
``Document``: one document whose ``$ref``s are resolved by ``referencing`` — the one way the
simulator, the cassette judge and the tests find a schema and validate against it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4

__all__ = ["Document", "control_path", "load_control", "load_openapi", "openapi_path", "request_validator",
           "response_validator"]

_PACKAGE = Path(__file__).resolve().parent.parent


def openapi_path() -> Path:
    """The vendor API document: packaged in a wheel, at the repo root in a source checkout."""
    for candidate in (_PACKAGE / "openapi.yaml", _PACKAGE.parent / "openapi.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("openapi.yaml is missing from this installation of fota-conformance")


def control_path() -> Path:
    return _PACKAGE / "control.yaml"


@cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not an OpenAPI document")
    return data


def load_openapi() -> dict[str, Any]:
    """The parsed vendor document. Shared and cached: callers must not mutate it (deepcopy first)."""
    return _load(openapi_path())


@cache
def load_control() -> dict[str, Any]:
    """The control plane document, self-contained: its references to files beside it (the world's
    JSON Schema, spec/world.schema.json) are inlined, so that every tool that reads one document
    (schemathesis, a validator registry) sees the same schema the files say."""
    document: dict[str, Any] = _inline(_load(control_path()), control_path().parent)
    return document


def _inline(node: Any, base: Path) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            # The referenced schemas are self-contained (no $ref of their own), so a copy is exact.
            with (base / ref).open(encoding="utf-8") as fh:
                return json.load(fh)
        return {key: _inline(value, base) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, base) for item in node]
    return node


def escape(token: str) -> str:
    """One JSON-pointer token (``/upgrades`` → ``~1upgrades``)."""
    return token.replace("~", "~0").replace("/", "~1")


class Document:
    """An OpenAPI 3.0 document registered as one ``referencing`` resource: every
    ``#/components/…`` reference inside resolves as it does for any other tool."""

    def __init__(self, contents: dict[str, Any], uri: str = "urn:fota:openapi") -> None:
        self.contents = contents
        self.uri = uri
        self.registry: Registry[Any] = Registry().with_resource(uri, DRAFT4.create_resource(contents))
        self._resolver = self.registry.resolver(uri)

    def at(self, pointer: str) -> Any:
        """The node at a JSON pointer (``/paths/~1upgrades/post``)."""
        return self._resolver.lookup(f"#{pointer}").contents

    def deref(self, node: Any, pointer: str = "") -> tuple[Any, str]:
        """``node`` (found at ``pointer``) with its chain of ``$ref``s followed: (target, its pointer).
        OpenAPI 3.0 ignores a ``$ref``'s siblings, and so does this."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#") or ref in seen:
                raise ValueError(f"unsupported or recursive $ref {ref!r} at {pointer or '/'}")
            seen.add(ref)
            pointer = ref[1:]
            node = self.at(pointer)
        return node, pointer

    def validator(self, pointer: str) -> OAS30Validator:
        """An OAS 3.0 validator, with format checking, for the schema at ``pointer``."""
        return OAS30Validator({"$ref": f"{self.uri}#{pointer}"}, registry=self.registry,
                              format_checker=oas30_format_checker)


@cache
def _document() -> Document:
    return Document(load_openapi())


@cache
def response_validator(path: str, method: str, status: int) -> OAS30Validator | None:
    """An OAS 3.0 validator of the documented JSON response body of ``method path`` (``path`` as
    written in openapi.yaml) answering ``status``; None when that status or its body is undocumented."""
    doc = _document()
    at = f"/paths/{escape(path)}/{method.lower()}/responses"
    responses = doc.at(at)
    key = str(status) if str(status) in responses else f"{status // 100}XX"
    if key not in responses:
        return None
    response, at = doc.deref(responses[key], f"{at}/{key}")
    if "schema" not in response.get("content", {}).get("application/json", {}):
        return None
    return doc.validator(f"{at}/content/{escape('application/json')}/schema")


@cache
def request_validator(path: str, method: str) -> OAS30Validator | None:
    """An OAS 3.0 validator of the documented JSON request body; None when the operation has none."""
    doc = _document()
    at = f"/paths/{escape(path)}/{method.lower()}"
    if "requestBody" not in doc.at(at):
        return None
    body, at = doc.deref(doc.at(f"{at}/requestBody"), f"{at}/requestBody")
    if "schema" not in body.get("content", {}).get("application/json", {}):
        return None
    return doc.validator(f"{at}/content/{escape('application/json')}/schema")
