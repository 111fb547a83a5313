"""Where the OpenAPI documents live, and loading them (cached: they never change in a process)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["control_path", "load_control", "load_openapi", "openapi_path"]

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
