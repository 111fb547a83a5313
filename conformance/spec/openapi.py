"""Where the OpenAPI documents live, and loading them (cached: they never change in a process)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["control_path", "load_control", "load_openapi", "openapi_path", "request_validator", "response_validator"]

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


def load_control() -> dict[str, Any]:
    return _load(control_path())


def _validator_for(schema: dict[str, Any] | None) -> Any:
    if schema is None:
        return None
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    spec = load_openapi()
    # Wrapped with the components, so that "#/components/schemas/…" resolves inside this document.
    return OAS30Validator({"allOf": [schema], "components": spec["components"]}, format_checker=oas30_format_checker)


@cache
def response_validator(path: str, method: str, status: int) -> Any:
    """An OAS 3.0 validator of the documented JSON response body of ``method path`` answering
    ``status`` (``path`` as written in openapi.yaml); None when that status or body is undocumented."""
    spec = load_openapi()
    responses = spec["paths"][path][method.lower()]["responses"]
    response = responses.get(str(status)) or responses.get(f"{status // 100}XX")
    if response is None:
        return None
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return _validator_for(response.get("content", {}).get("application/json", {}).get("schema"))


@cache
def request_validator(path: str, method: str) -> Any:
    """An OAS 3.0 validator of the documented JSON request body; None when the operation has none."""
    operation = load_openapi()["paths"][path][method.lower()]
    body = operation.get("requestBody") or {}
    if "$ref" in body:
        body = load_openapi()["components"]["requestBodies"][body["$ref"].rsplit("/", 1)[-1]]
    return _validator_for(body.get("content", {}).get("application/json", {}).get("schema"))
