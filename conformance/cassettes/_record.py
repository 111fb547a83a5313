"""Recording a run as a vcrpy cassette, with every credential filtered out (docs/simulator-contract.md#safety).

vcrpy does the recording (it patches ``httpx.HTTPTransport.handle_request``, which every
``httpx.Client`` — the suite's ``Client`` included — goes through) and the serialising. We only add
the masking, in vcrpy's own hooks:

- ``filter_headers`` replaces ``Authorization`` and ``VZ-M2M-Token`` with the placeholder (keeping
  the auth scheme word, so a reader can still tell "Bearer <filtered>" from "Basic <filtered>" or a
  missing header). Its callable form also lets us *learn* each token as it is sent: a check may use a
  token the caller never listed (an unknown bearer for AUTH-02), and a target may echo it in a body.
- ``before_record_request`` / ``before_record_response`` replace every known secret anywhere: URL,
  headers, bodies (a ``PUT /__control/world`` body carries all the world's tokens; error messages
  may quote one). The placeholder is checked on the way in as well as out, so nothing reaches vcrpy's
  in-memory cassette unmasked, not only the file.

The uvicorn server of an in-process simulator is not affected: vcrpy patches client libraries only.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vcr
from vcr.filters import replace_text
from vcr.record_mode import RecordMode

from conformance.cassettes._format import FORMAT_VERSION, METADATA_KEY, PLACEHOLDER

__all__ = ["Recording", "record"]

#: Tokens learned from traffic shorter than this are not masked everywhere: a check that sends
#: "Bearer x" must not turn every "x" of the cassette into the placeholder. (The headers themselves
#: are always filtered; secrets the caller lists are always masked, whatever their length.)
MIN_LEARNED_SECRET = 6
SECRET_HEADERS = ("Authorization", "VZ-M2M-Token", "Proxy-Authorization")
#: Never learned as secrets: the words of the Authorization header's syntax.
SCHEME_WORDS = frozenset({"bearer", "basic", "digest", "token"})


@dataclass
class Recording:
    """What ``record`` yields: the cassette path and the secrets masked so far (thread-safe)."""

    path: Path
    _secrets: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Mask these too from now on (e.g. the tokens of a world loaded mid-run)."""
        with self._lock:
            self._secrets.update(s for s in secrets if s)

    def _learn(self, token: str) -> None:
        token = token.strip()
        # A probe may send a scheme word alone ("Authorization: Bearer Bearer"); learning it would
        # mask every "Bearer" of the cassette, and a replay could no longer tell the scheme.
        if token.lower() in SCHEME_WORDS:
            return
        if len(token) >= MIN_LEARNED_SECRET and token != PLACEHOLDER:
            with self._lock:
                self._secrets.add(token)

    @property
    def secrets(self) -> list[str]:
        """Longest first, so that no secret leaks through a shorter one it contains."""
        with self._lock:
            return sorted(self._secrets, key=len, reverse=True)

    def _mask(self, obj: Any) -> Any:
        for secret in self.secrets:
            obj = replace_text(obj, secret, PLACEHOLDER)
        return obj

    # --- vcrpy hooks -----------------------------------------------------------------------------
    def _filter_header(self, key: str, value: str, request: Any) -> str:
        """filter_headers' callable form: learn the token, keep only the scheme word."""
        scheme, sep, token = str(value).partition(" ")
        if sep and key.lower() != "vz-m2m-token":
            self._learn(token)
            return f"{scheme} {PLACEHOLDER}"
        self._learn(str(value))
        return PLACEHOLDER

    def _before_record_request(self, request: Any) -> Any:
        # vcrpy hands us a deep copy (config._build_before_record_request), so mutating is safe.
        body = request.body
        if isinstance(body, bytes) and request.path.endswith("/__control/world"):
            self._learn_world(body)
        request.uri = self._mask(request.uri)
        if isinstance(body, bytes | str):
            masked = self._mask(body)
            if masked != body:
                request.body = masked
                if "content-length" in request.headers:  # stay true to the masked body
                    request.headers["content-length"] = str(len(request.body))
        for name in list(request.headers):
            request.headers[name] = self._mask(request.headers[name])
        return request

    def _learn_world(self, body: bytes) -> None:
        try:
            world = json.loads(body)
        except ValueError:
            return
        creds = world.get("credentials") if isinstance(world, dict) else None
        for cred in creds if isinstance(creds, list) else []:
            if isinstance(cred, dict):
                # The world's tokens are secrets whatever their length: mask them as given.
                self.add_secrets(v for k in ("bearer", "m2m") if isinstance(v := cred.get(k), str))

    def _before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.count += 1
        body = response.get("body", {}).get("string")
        masked = self._mask(body)
        response["headers"] = self._mask(response.get("headers", {}))
        if masked != body:
            response["body"]["string"] = masked
            # Keep the recorded Content-Length true to the masked body, so a replay is consistent.
            for name in response["headers"]:
                if name.lower() == "content-length" and isinstance(masked, bytes | str):
                    size = len(masked.encode() if isinstance(masked, str) else masked)
                    response["headers"][name] = [str(size)]
        return response


@contextmanager
def record(path: str | Path, *, secrets: Iterable[str] = (), drop_response_headers: Iterable[str] = (),
           metadata: Mapping[str, Any] | None = None) -> Iterator[Recording]:
    """Record every HTTP exchange made inside the block into the vcrpy cassette at ``path``.

    ``secrets`` are masked everywhere; tokens sent in ``Authorization``/``VZ-M2M-Token`` and the
    credentials of a world loaded through ``PUT /__control/world`` are learned and masked too.
    ``drop_response_headers`` (e.g. ``("date", "server")``) leaves out headers that change from run
    to run, for cassettes that are regenerated and committed. ``metadata`` (JSON-able, no secrets:
    it is not masked) is stored next to our format marker, e.g. the simulator profile it came from.

    The cassette is written next to ``path`` and moved into place when the block ends (also when it
    raises: a partial conversation is still evidence), so an existing file is replaced whole and
    never merged with: vcrpy would otherwise load it and replay from it.
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.recording")
    partial.unlink(missing_ok=True)
    recording = Recording(path=target)
    recording.add_secrets(secrets)
    dropped = [h.lower() for h in drop_response_headers]

    def drop_headers(response: dict[str, Any]) -> dict[str, Any]:
        response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() not in dropped}
        return response

    recorder = vcr.VCR(
        serializer="yaml",
        # ALL: every request goes to the network and is recorded; nothing is ever replayed.
        record_mode=RecordMode.ALL,
        # Two cheap matchers: vcrpy compares each new request with every recorded one, even in ALL mode.
        match_on=("method", "uri"),
        filter_headers=[(h, recording._filter_header) for h in SECRET_HEADERS],
        before_record_request=recording._before_record_request,
        # Decompress first, so that masking sees the real text of a gzip-encoded body.
        decode_compressed_response=True,
        before_record_response=[recording._before_record_response, drop_headers],
    )
    try:
        with recorder.use_cassette(str(partial)) as cassette:
            # vcrpy's public way to store metadata: saved with the interactions, loaded back untouched.
            cassette.get_metadata(METADATA_KEY, {**(metadata or {}), "format": FORMAT_VERSION})
            yield recording
    finally:
        if partial.exists():
            os.replace(partial, target)
