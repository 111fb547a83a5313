"""What the client judge looks at: one request a client sent, with the answer it got, in plain types.

The simulator (``simulate --strict``) and a cassette (``check-cassette --client``) both produce
these, so every client rule is one function over the same record. Credentials are masked
structurally (the header values, not by search and replace), so that a short or odd token cannot
leak into a report and a report cannot be garbled by masking a token that is also a common word.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from conformance.suite.http import MASK, Exchange

__all__ = ["CREDENTIAL_HEADERS", "ClientRequest", "Operation"]

#: Headers whose values are secrets: never quoted, only their shape.
CREDENTIAL_HEADERS: Final = frozenset({"authorization", "vz-m2m-token", "cookie", "proxy-authorization"})
#: Left out of the curl line: curl sets them itself from the URL and the body.
_TRANSPORT_HEADERS: Final = frozenset({"host", "content-length", "connection", "transfer-encoding"})

_ITEM = re.compile(r"/upgrades/([^/]+)/upgrade/([^/]+)/?$")
_SCHEDULE = re.compile(r"/upgrades/?$")


@dataclass(frozen=True, slots=True)
class Operation:
    """One of the four operations of openapi.yaml, with its path parameters."""

    name: str  # "schedule" | "change" | "details" | "cancel"
    account: str | None = None
    upgrade_id: str | None = None


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """A request as the client sent it and the answer it got (``status`` None: no answer)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    status: int | None
    response_headers: dict[str, str] = field(default_factory=dict)  # keys lower-cased
    response_body: bytes = b""
    #: The target's clock when the request arrived, where known (the simulator knows it; a cassette does not).
    now: datetime | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def header(self, name: str) -> str | None:
        """A request header, by case-insensitive name (None when absent)."""
        name = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == name), None)

    @property
    def is_control(self) -> bool:
        """The control plane of a simulator (and our own extensions): not an API call."""
        return "/__control/" in self.path

    def operation(self) -> Operation | None:
        """Which of the four operations this is; None for every other path and method."""
        path = self.path
        if self.is_control:
            return None
        if self.method == "POST" and _SCHEDULE.search(path):
            return Operation("schedule")
        m = _ITEM.search(path)
        if m:
            name = {"PUT": "change", "GET": "details", "DELETE": "cancel"}.get(self.method)
            if name:
                return Operation(name, m.group(1), m.group(2))
        return None

    @property
    def answer_data(self) -> Any:
        try:
            return json.loads(self.response_body) if self.response_body else None
        except (ValueError, RecursionError):
            return None

    def masked_headers(self) -> dict[str, str]:
        out = {}
        for name, value in self.headers.items():
            if name.lower() in _TRANSPORT_HEADERS:
                continue
            if name.lower() in CREDENTIAL_HEADERS:
                scheme, sep, _rest = value.strip().partition(" ")
                # Keep the scheme word of Authorization (CLIENT-02 is about it); never the token.
                value = f"{scheme} {MASK}" if name.lower() == "authorization" and sep else MASK
            out[name] = value
        return out

    def exchange(self) -> Exchange:
        """The suite's exchange record, credentials masked, so findings quote it as a curl line."""
        return Exchange(self.method, self.url, self.masked_headers(), self.body, self.status,
                        dict(self.response_headers), self.response_body)

    def secrets(self) -> list[str]:
        """The credential values this request carried (for masking anything else that echoes them)."""
        found = []
        for name, value in self.headers.items():
            if name.lower() in CREDENTIAL_HEADERS:
                found.append(value.strip())
                found.append(value.strip().partition(" ")[2].strip())
        return [s for s in found if s]
