"""Talking to a target: every request the suite sends goes through ``Client`` and comes back as an
``Exchange`` — a complete, immutable record of what was sent and what came back (or why nothing
did). Checks judge exchanges; reports quote them as curl lines with the tokens masked.
"""

from __future__ import annotations

import json as _json
import shlex
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from conformance.spec.world import Credential

__all__ = ["NO_AUTH", "Client", "Exchange", "TargetUnreachable", "auth_headers", "mask"]

#: Pass as ``creds`` to send no auth headers at all.
NO_AUTH: Final = None
_UNSET: Final = object()
MASK = "***"
#: Larger answers are not read to the end: no answer of this API is anywhere near this size.
MAX_BODY = 8 << 20


class TargetUnreachable(Exception):
    """The target stopped answering altogether (the run ends with exit code 3)."""


def auth_headers(cred: Credential) -> dict[str, str]:
    return {"Authorization": f"Bearer {cred.bearer}", "VZ-M2M-Token": cred.m2m}


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text``; longest first, so that no secret leaks through a shorter one."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


@dataclass(frozen=True, slots=True)
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    #: None when no response came back (see ``error``).
    status: int | None
    response_headers: dict[str, str] = field(default_factory=dict)  # keys lower-cased
    response_body: bytes = b""
    error: str | None = None
    elapsed_ms: float = 0.0

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    @property
    def data(self) -> Any:
        """The parsed JSON body, or None when the body is empty or not JSON."""
        try:
            return _json.loads(self.response_body) if self.response_body else None
        except (ValueError, RecursionError):  # an echoed deeply nested body must not crash a check
            return None

    @property
    def is_json(self) -> bool:
        try:
            _json.loads(self.response_body)
        except (ValueError, RecursionError):
            return False
        return True

    def body_text(self, limit: int = 300) -> str:
        text = self.response_body.decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"

    def outcome(self) -> str:
        """What came back, in one line: ``400 application/json {"errorCode": …}`` or the transport error."""
        if self.status is None:
            return f"no response ({self.error})"
        ctype = self.content_type or "no Content-Type"
        return f"{self.status} {ctype} {self.body_text(200)}".rstrip()

    def curl(self, secrets: Iterable[str] = ()) -> str:
        """A curl line that replays this request, with every secret replaced by ``***``."""
        parts = ["curl", "-sS", "-X", self.method, self.url]
        for name, value in self.request_headers.items():
            parts += ["-H", f"{name}: {value}"]
        if self.request_body is not None:
            parts += ["--data-binary", self.request_body.decode("utf-8", "replace")]
        line = " ".join(shlex.quote(p) for p in parts)
        return mask(line, secrets)


class Client:
    """A thread-safe HTTP client bound to one target base URL, with a timeout on every request.

    It keeps the log of every exchange (for the report's request count and for the pytest
    plugin's failure output) and knows the secrets to mask. After ``max_consecutive_errors``
    transport errors in a row it raises TargetUnreachable instead of returning another failure,
    so that a dead target ends the run (exit 3) instead of failing every rule one timeout at a time.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0, secrets: Iterable[str] = (),
                 max_consecutive_errors: int = 3) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.secrets: set[str] = set(secrets)
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False,
                                  limits=httpx.Limits(max_connections=64, max_keepalive_connections=4))
        self._lock = threading.Lock()
        self._consecutive_errors = 0
        self._max_errors = max_consecutive_errors
        self.count = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, method: str, path: str, *, json: Any = _UNSET, content: bytes | str | None = None,
             headers: Mapping[str, str] | None = None, creds: Credential | None = NO_AUTH,
             content_type: str | None = "application/json") -> Exchange:
        """Send one request. ``json`` is serialised; ``content`` is sent byte for byte.

        ``content_type`` labels the body (None: no Content-Type header at all); ``headers`` are
        added last, so a check can override anything, auth included.
        """
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        hdrs: dict[str, str] = {"Accept": "application/json"}
        if creds is not None:
            self.secrets.update((creds.bearer, creds.m2m))
            hdrs.update(auth_headers(creds))
        body: bytes | None = None
        if json is not _UNSET:
            body = _json.dumps(json).encode()
        elif content is not None:
            body = content.encode() if isinstance(content, str) else content
        if body is not None and content_type is not None:
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        with self._lock:
            self.count += 1
        started = time.monotonic()
        try:
            try:
                exchange = self._exchange(method, url, hdrs, body, started)
            except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
                # A reset keep-alive connection is the network's hiccup, not the target's verdict:
                # retry once where repeating cannot create anything (reads, cancels, the control
                # plane). A POST or PUT is never repeated: it could act twice.
                if method not in ("GET", "DELETE") and "/__control/" not in url:
                    raise
                exchange = self._exchange(method, url, hdrs, body, time.monotonic())
        except httpx.TimeoutException:
            exchange = Exchange(method, url, hdrs, body, None, error=f"no answer within {self.timeout:g} s")
        except httpx.HTTPError as exc:
            exchange = Exchange(method, url, hdrs, body, None, error=f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._consecutive_errors = self._consecutive_errors + 1 if exchange.status is None else 0
            dead = self._consecutive_errors >= self._max_errors
        if dead:
            raise TargetUnreachable(f"{self.base_url} stopped answering: {exchange.error}")
        return exchange

    def _exchange(self, method: str, url: str, hdrs: dict[str, str], body: bytes | None,
                  started: float) -> Exchange:
        """Stream the answer under one deadline for the whole request.

        httpx's timeouts bound each phase (connect, each read), so a target that drips one byte
        per second would never trip them; reading the body in chunks against a deadline does,
        and the size cap keeps an endless body from filling memory.
        """
        deadline = started + self.timeout
        with self._http.stream(method, url, content=body, headers=hdrs) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:
                    return Exchange(method, url, hdrs, body, None,
                                    error=f"the answer did not complete within {self.timeout:g} s")
                if size > MAX_BODY:
                    return Exchange(method, url, hdrs, body, None,
                                    error=f"the answer's body exceeded {MAX_BODY // (1 << 20)} MiB")
            return Exchange(method, url, hdrs, body, response.status_code,
                            {k.lower(): v for k, v in response.headers.items()}, b"".join(chunks),
                            elapsed_ms=(time.monotonic() - started) * 1000)
