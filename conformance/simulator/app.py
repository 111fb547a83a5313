"""The HTTP adapter: a thin Starlette app over the model, serving the four operations of openapi.yaml
under ``/api/fota/v1``, the control plane of docs/simulator-contract.md, and the document itself.

What happens here and nowhere else: reading the body (bounded, incrementally), parsing it as JSON
whatever its label (WIRE-03), checking it against openapi.yaml, and turning results and
``ApiError`` into answers with ``Content-Type: application/json`` (WIRE-01). Every model call of
the four operations runs in the thread pool, so that concurrent requests really are concurrent (the
lock in the model is what keeps them correct); the control plane's clock is answered inline (see
``clock``). No input can produce a 5xx (WIRE-02): everything unexpected becomes a 400 error body,
and is logged.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.simulator.errors import ApiError, bad_request, invalid
from conformance.simulator.model import Simulator, format_now
from conformance.simulator.profile import Profile
from conformance.simulator.validation import RequestSchemas, parse_change, parse_schedule
from conformance.spec.lifecycle import STARTED
from conformance.spec.openapi import load_openapi
from conformance.spec.world import World, WorldError, parse_instant

__all__ = ["API_PREFIX", "BODY_LIMIT", "Observer", "create_app"]

API_PREFIX = "/api/fota/v1"
#: The largest API request body read (WIRE-02: a huge body is a 413 error body, never a crash).
BODY_LIMIT = 256 * 1024
#: Worlds are larger than requests: 80 devices are ~10 KiB, so this leaves room for big test worlds.
WORLD_LIMIT = 16 * 1024 * 1024
#: Past the limit the rest is read and thrown away, so the client gets to read the answer; beyond
#: this much the connection is closed instead.
DRAIN_LIMIT = 64 * 1024 * 1024

SCHEDULE, CHANGE = "scheduleFirmwareUpgrade", "updateFirmwareUpgradeDevices"
DETAILS, CANCEL = "listFirmwareUpgradeDetails", "cancelScheduledFirmwareUpgrade"

_log = logging.getLogger("conformance.simulator")

#: ``simulate --strict``: called once per request with what the client sent and what it got, as
#: plain types (keys: method, url, headers, body, status, response_headers, response_body, now), so
#: that the simulator needs nothing of the judge that reads them.
Observer = Callable[[dict[str, Any]], None]
#: The most of a request body handed to the observer (the API refuses more than BODY_LIMIT anyway).
OBSERVED_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True)
class _Incoming:
    """What the synchronous handlers need of a request, read on the event loop beforehand."""

    headers: Mapping[str, str]
    path: Mapping[str, str]
    body: bytes
    too_large: bool


class _Api:
    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator
        self.profile: Profile = simulator.profile
        self.schemas = RequestSchemas(load_openapi())
        self._documents: dict[tuple[str, str], bytes] = {}
        #: PUT /__control/outage: this many API requests still to answer with this 5xx status.
        self._outage = (0, 503)
        self._outage_lock = threading.Lock()

    # --- answers -------------------------------------------------------------------------------

    def reply(self, status: int, payload: Any, *, api: bool = True, op: str = "") -> Response:
        media = "application/json; charset=utf-8" if self.profile.variant("charset-json") else "application/json"
        if api and status == 400 and self.profile.fault("wire01-text-errors"):
            # FAULT wire01-text-errors: error bodies labelled as plain text (WIRE-01).
            media = "text/plain"
        if (op == DETAILS and isinstance(payload, dict) and payload.get("status") in STARTED
                and self.profile.fault("wire01-text-started-details")):
            # FAULT wire01-text-started-details: a started campaign's details labelled as plain text
            # (WIRE-01), an answer only checks that drive a campaign past its start ever see.
            media = "text/plain"
        # ASCII-only JSON: a lone surrogate echoed from the request cannot break the encoding.
        return Response(json.dumps(payload).encode("ascii"), status_code=status, media_type=media)

    def error(self, exc: ApiError, *, api: bool = True) -> Response:
        return self.reply(exc.status, exc.body, api=api)

    # --- the four operations -------------------------------------------------------------------

    def handle(self, op: str, req: _Incoming) -> Response:
        """Run one API operation; every refusal and every surprise becomes an error body."""
        outage = self._take_outage()
        if outage is not None:
            # Asked for through the control plane (a client's tests rehearsing the vendor's bad day):
            # not a fault of the simulator, and never on its own.
            return self.reply(outage, {"errorCode": "FotaService.UNAVAILABLE.Outage",
                                      "errorMessage": "service unavailable (PUT /__control/outage)"})
        try:
            return self.reply(200, self._operation(op, req), op=op)
        except _Raw as raw:
            return raw.response
        except ApiError as exc:
            if self.profile.variant("errors-quote-request") and isinstance(exc.body.get("errorMessage"), str):
                # VARIANT errors-quote-request: refusals quote what the client sent (its path values and
                # body), as many real services do; that discloses nothing the client did not send.
                quoted = " ".join([*req.path.values(), req.body.decode("utf-8", "replace")[:300]])
                message = f"{exc.body['errorMessage']} (request: {quoted})"
                exc = ApiError(exc.status, {**exc.body, "errorMessage": message})
            return self.error(exc)
        except Exception:  # WIRE-02: whatever slipped through is still a client-facing 4xx, and logged
            _log.exception("unexpected error in %s", op)
            return self.error(bad_request("FotaService.REQUEST_FAILED.Unexpected",
                                          "request: could not be processed"))

    def _operation(self, op: str, req: _Incoming) -> dict[str, Any]:
        if "idempotency-key" in req.headers and self.profile.fault("wire04-reject-idempotency-key"):
            # FAULT wire04-reject-idempotency-key: an unknown header is treated as an error (WIRE-04).
            raise invalid("Idempotency-Key", "header not supported")
        if (self.profile.fault("wire02-crash-on-long-header")
                and any(len(req.headers.get(h, "")) > 4096 for h in ("authorization", "vz-m2m-token"))):
            # FAULT wire02-crash-on-long-header: a fixed-size token buffer overflows (WIRE-02).
            raise _Raw(Response(b"Internal Server Error", status_code=500, media_type="text/plain"))
        body: dict[str, Any] | None = None
        if op in (SCHEDULE, CHANGE) and self.profile.fault("auth01-body-before-auth"):
            # FAULT auth01-body-before-auth: the service reads the body before anyone checked the
            # credentials, so a bad body without them gets 400 instead of 401 (AUTH-01).
            body = self._body(op, req)
        cred = self.sim.authenticate(req.headers.get("authorization"), req.headers.get("vz-m2m-token"))
        if op != SCHEDULE:
            self.schemas.check_path(op, req.path)
        account, upgrade_id = req.path.get("accountName", ""), req.path.get("upgradeId", "")
        if op == DETAILS:
            return self.sim.details(cred, account, upgrade_id)
        if op == CANCEL:
            return self.sim.cancel(cred, account, upgrade_id)
        body = self._body(op, req) if body is None else body
        if op == SCHEDULE:
            return self.sim.schedule(cred, parse_schedule(body, self.profile))
        kind, imeis = parse_change(body)
        return self.sim.change(cred, account, upgrade_id, kind, imeis)

    def _body(self, op: str, req: _Incoming) -> dict[str, Any]:
        """The JSON object of a POST/PUT body, checked against the operation's schema (WIRE-05, POST-03, PUT-06)."""
        if req.too_large:
            raise invalid("body", f"the request body is larger than {BODY_LIMIT} bytes", status=413)
        if req.headers.get("content-type", "").strip() == "*/*" and self.profile.fault("wire03-reject-star"):
            # FAULT wire03-reject-star: the label the vendor's own SDK sends is refused (WIRE-03).
            raise _Raw(self.reply(415, {"errorCode": "FotaService.INPUT_INVALID.ContentType",
                                       "errorMessage": "Content-Type: */* is not supported"}))
        try:
            data = _parse_json(req.body)
        except ApiError as exc:
            if self.profile.fault("wire05-422-detail"):
                # FAULT wire05-422-detail: a framework's default answer, not the vendor's (WIRE-05).
                raise _Raw(self.reply(422, {"detail": exc.body["errorMessage"]})) from None
            raise
        if self.profile.fault("wire02-crash-on-duplicate-key") and _has_duplicate_keys(req.body):
            # FAULT wire02-crash-on-duplicate-key: a strict parser's exception escapes (WIRE-02).
            raise _Raw(Response(b"Internal Server Error", status_code=500, media_type="text/plain"))
        if not isinstance(data, dict):
            raise invalid("body", f"expected a JSON object, got {_json_kind(data)}")
        devices = data.get("deviceList")
        if isinstance(devices, list) and len(devices) > 1000 and self.profile.fault("wire02-crash-on-long-device-list"):
            # FAULT wire02-crash-on-long-device-list: a batch past the database's limit fails (WIRE-02).
            raise _Raw(Response(b"Internal Server Error", status_code=500, media_type="text/plain"))
        if (isinstance(devices, list) and self.profile.fault("wire02-crash-on-number-imei")
                and any(isinstance(d, int | float) and not isinstance(d, bool) for d in devices)):
            # FAULT wire02-crash-on-number-imei: an unchecked int in a string-only path crashes (WIRE-02).
            raise _Raw(Response(b"Internal Server Error", status_code=500, media_type="text/plain"))
        body, allow_empty = self._rewrite(op, dict(data))
        if self.profile.fault("wire04-reject-unknown-field"):
            unknown = sorted(set(body) - self.schemas.body_fields(op))
            if unknown:
                # FAULT wire04-reject-unknown-field: a strict schema refuses extra fields (WIRE-04 SHOULD).
                raise invalid(unknown[0], "unknown field")
        self.schemas.check_body(op, body, allow_empty_device_list=allow_empty, profile=self.profile)
        return body

    def _rewrite(self, op: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Aliases and planted faults that change what the body says before it is checked."""
        # FAULT post03-empty-device-list: minItems is not enforced (POST-03).
        allow_empty = op == SCHEDULE and self.profile.fault("post03-empty-device-list")
        if "devicelist" in body and "deviceList" not in body:
            # POST-05: the spelling of the vendor's own examples. Refused by default: the schema
            # then names the missing deviceList.
            if self.profile.variant("devicelist-alias"):
                body["deviceList"] = body.pop("devicelist")
            elif op == SCHEDULE and self.profile.fault("post03-devicelist-ignored"):
                # FAULT post03-devicelist-ignored: the unknown key is dropped and the campaign is
                # created without devices (POST-03).
                body["deviceList"], allow_empty = [], True
        if isinstance(body.get("deviceList"), list) and self.profile.fault("post03-null-device-skipped"):
            # FAULT post03-null-device-skipped: nulls are filtered out, not refused (POST-03).
            body["deviceList"] = [d for d in body["deviceList"] if d is not None] or body["deviceList"]
        if (op == CHANGE and isinstance(body.get("type"), str)
                and self.profile.fault("put06-type-whitespace-stripped")):
            # FAULT put06-type-whitespace-stripped: a lenient enum reading (PUT-06).
            body["type"] = body["type"].strip()
        if op == CHANGE and self.profile.fault("put06-type-unchecked"):
            # FAULT put06-type-unchecked: whatever is not "remove" appends (PUT-06).
            body["type"] = "remove" if body.get("type") == "remove" else "append"
        return body, allow_empty

    # --- the control plane and the document ----------------------------------------------------

    def _take_outage(self) -> int | None:
        with self._outage_lock:
            left, status = self._outage
            if left <= 0:
                return None
            self._outage = (left - 1, status)
            return status

    def put_outage(self, req: _Incoming) -> Response:
        """Our extension: the next ``requests`` API calls are answered ``status`` (a 5xx, default 503)."""
        code = "Control.INPUT_INVALID.outage"
        try:
            data = _control_json(req, "outage")
            count = data.get("requests") if isinstance(data, dict) else None
            status = data.get("status", 503) if isinstance(data, dict) else None
            if (not isinstance(count, int) or isinstance(count, bool) or count < 0
                    or not isinstance(status, int) or isinstance(status, bool) or not 500 <= status <= 599):
                raise bad_request(code, 'body: expected {"requests": <n ≥ 0>, "status": <5xx, default 503>}')
            with self._outage_lock:
                self._outage = (count, status)
            return self.reply(200, {"requests": count, "status": status}, api=False)
        except ApiError as exc:
            return self.error(exc, api=False)

    def get_clock(self) -> Response:
        return self.reply(200, {"now": format_now(self.sim.now())}, api=False)

    def put_clock(self, req: _Incoming) -> Response:
        try:
            data = _control_json(req, "now")
            if not isinstance(data, dict) or "now" not in data:
                raise bad_request("Control.INPUT_INVALID.now", 'body: expected {"now": "<RFC 3339 instant>"}')
            try:
                instant = parse_instant(data["now"], where="now")
            except (WorldError, OverflowError) as exc:  # OverflowError: 0001-01-01T00:00:00+05:00
                raise bad_request("Control.INPUT_INVALID.now", str(exc)) from None
            return self.reply(200, {"now": format_now(self.sim.set_clock(instant))}, api=False)
        except ApiError as exc:
            return self.error(exc, api=False)

    def put_world(self, req: _Incoming) -> Response:
        try:
            data = _control_json(req, "world")
            try:
                world = World.from_json(data)
            except (WorldError, OverflowError) as exc:
                raise bad_request("Control.INPUT_INVALID.world", str(exc)) from None
            self.sim.load_world(world)
            return Response(status_code=204)
        except ApiError as exc:
            return self.error(exc, api=False)

    def document(self, base_url: str, fmt: str) -> Response:
        """openapi.yaml with this simulator as its only server, for tools that want a spec URL."""
        key = (base_url, fmt)
        if key not in self._documents:
            doc = copy.deepcopy(load_openapi())
            doc["servers"] = [{"url": base_url, "description": "This reference simulator"}]
            self._documents[key] = (json.dumps(doc, indent=2).encode() if fmt == "json"
                                    else yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode())
        media = "application/json" if fmt == "json" else "application/yaml"
        return Response(self._documents[key], media_type=media)


class _Raw(Exception):
    """A planted fault's answer that is deliberately not the vendor's error shape."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _has_duplicate_keys(raw: bytes) -> bool:
    """Whether some JSON object in ``raw`` names deviceList twice (only asked by a planted fault:
    its parser gathers a repeated key's values into a list, which the code after it cannot take)."""
    seen = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal seen
        seen = seen or [k for k, _ in items].count("deviceList") > 1
        return dict(items)

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return False
    return seen


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise invalid("body", "the request body is empty; expected a JSON object")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise invalid("body", f"not valid JSON ({reason})") from None


def _control_json(req: _Incoming, what: str) -> Any:
    """The JSON of a control-plane body; refusals carry the control plane's own error codes."""
    code = f"Control.INPUT_INVALID.{what}"
    if req.too_large:
        raise bad_request(code, "body: too large", status=413)
    try:
        return _parse_json(req.body)
    except ApiError as exc:
        raise bad_request(code, exc.body["errorMessage"]) from None


def _json_kind(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


async def _read(request: Request, limit: int) -> tuple[_Incoming, bool]:
    """The body, up to ``limit`` bytes; the rest is drained (bounded). Returns (request, must_close)."""
    chunks: list[bytes] = []
    size, too_large, close = 0, False, False
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > DRAIN_LIMIT:
                close = True
                break
            if size > limit:
                too_large, chunks = True, []
            elif not too_large:
                chunks.append(chunk)
    except ClientDisconnect:
        close = True
    headers = {k.lower(): v for k, v in request.headers.items()}
    incoming = _Incoming(headers=headers, path={k: str(v) for k, v in request.path_params.items()},
                         body=b"".join(chunks), too_large=too_large)
    return incoming, close


def _closing(response: Response, close: bool) -> Response:
    if close:
        response.headers["Connection"] = "close"
    return response


def create_app(*, simulator: Simulator | None = None, world: World | None = None, profile: Profile | None = None,
               realtime: bool = False, access_log: Callable[[str], None] | None = None,
               control_plane: bool = True, observer: Observer | None = None,
               client_report: Callable[[], Any] | None = None) -> ASGIApp:
    """The ASGI app of the simulator (a new ``Simulator`` unless one is given).

    ``control_plane=False`` leaves out ``/__control/*`` (a JSON 404 there), so that the simulator
    stands in for a target like the vendor's own API, which only a black-box run can test.

    ``access_log`` receives one line per request (method, path, status, milliseconds; never tokens).
    ``observer`` (``simulate --strict``) receives every request and its answer; ``client_report``
    serves the judge's report so far at ``GET /__control/client-report`` (our extension).
    """
    sim = simulator if simulator is not None else Simulator(world, profile=profile, realtime=realtime)
    api = _Api(sim)

    def operation(op: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            incoming, close = await _read(request, BODY_LIMIT)
            return _closing(await run_in_threadpool(api.handle, op, incoming), close)
        return endpoint

    async def clock(request: Request) -> Response:
        # Inline, not in the thread pool: reading or moving the clock is a few microseconds under
        # the model's lock (nothing in it waits), and the suite moves the clock hundreds of times
        # a run; two thread hand-offs per call would cost more than the call itself.
        if request.method == "GET":
            return api.get_clock()
        incoming, close = await _read(request, BODY_LIMIT)
        return _closing(api.put_clock(incoming), close)

    async def load_world(request: Request) -> Response:
        incoming, close = await _read(request, WORLD_LIMIT)
        return _closing(await run_in_threadpool(api.put_world, incoming), close)

    def document(fmt: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return api.document(str(request.base_url).rstrip("/") + API_PREFIX, fmt)
        return endpoint

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(status, "RequestFailed")
        response = api.reply(status, {"errorCode": f"FotaService.RESOURCE.{code}",
                                     "errorMessage": f"{request.method} {request.url.path}: no such operation"},
                            api=False)
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response

    async def unexpected(request: Request, exc: Exception) -> Response:
        _log.error("unexpected error", exc_info=exc)
        return api.reply(400, {"errorCode": "FotaService.REQUEST_FAILED.Unexpected",
                              "errorMessage": "request: could not be processed"})

    p = API_PREFIX
    routes = [
        Route(f"{p}/upgrades", operation(SCHEDULE), methods=["POST"]),
        Route(f"{p}/upgrades/{{accountName}}/upgrade/{{upgradeId}}", operation(CHANGE), methods=["PUT"]),
        Route(f"{p}/upgrades/{{accountName}}/upgrade/{{upgradeId}}", operation(DETAILS), methods=["GET"]),
        Route(f"{p}/upgrades/{{accountName}}/upgrade/{{upgradeId}}", operation(CANCEL), methods=["DELETE"]),
        Route(f"{p}/openapi.yaml", document("yaml"), methods=["GET"]),
        Route(f"{p}/openapi.json", document("json"), methods=["GET"]),
    ]
    async def outage(request: Request) -> Response:
        incoming, close = await _read(request, BODY_LIMIT)
        return _closing(api.put_outage(incoming), close)

    async def report(request: Request) -> Response:
        assert client_report is not None
        data = await run_in_threadpool(client_report)
        return Response(json.dumps(data, indent=2).encode(), media_type="application/json")

    if control_plane:
        routes += [Route(f"{p}/__control/clock", clock, methods=["GET", "PUT"]),
                   Route(f"{p}/__control/world", load_world, methods=["PUT"]),
                   Route(f"{p}/__control/outage", outage, methods=["PUT"])]
        if client_report is not None:
            routes.append(Route(f"{p}/__control/client-report", report, methods=["GET"]))
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: unexpected})
    app.router.redirect_slashes = False  # /upgrades/ is no operation: a JSON 404, not a redirect
    app.state.simulator = sim
    outer: ASGIApp = app if observer is None else _Observe(app, observer, sim.now)
    return _AccessLog(outer, access_log) if access_log is not None else outer


class _Observe:
    """Hands every request, with its answer, to the observer (``simulate --strict``).

    Sits outside the routes, so that it sees exactly what the client sent and got, refusals by the
    framework (404, 405) included. The observer runs in the thread pool: the judge takes a lock.
    """

    def __init__(self, app: ASGIApp, observer: Observer, clock: Callable[[], Any]) -> None:
        self.app = app
        self.observer = observer
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now = self.clock()  # the target's clock when the request arrived (CLIENT-07)
        body: list[bytes] = []
        size = 0
        answer: dict[str, Any] = {"status": None, "headers": {}, "body": []}

        async def receiving() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if size + len(chunk) <= OBSERVED_LIMIT:
                    body.append(chunk)
                size += len(chunk)
            return message

        observed = False

        async def observe() -> None:
            nonlocal observed
            observed = True
            headers: dict[str, str] = {}
            for k, v in scope.get("headers", []):
                name, value = k.decode("latin-1"), v.decode("latin-1")
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            record = {"method": scope["method"], "url": str(Request(scope).url), "headers": headers,
                      "body": b"".join(body) if size else None, "status": answer["status"],
                      "response_headers": answer["headers"], "response_body": b"".join(answer["body"]),
                      "now": now}
            await run_in_threadpool(self.observer, record)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = {k.decode("latin-1").lower(): v.decode("latin-1")
                                     for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    # Judged before the client has its whole answer: a report read right after a
                    # client's last call (GET /__control/client-report, or on stop) includes it.
                    await observe()
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            if not observed:
                await observe()


class _AccessLog:
    """One line per request: method, path, status, milliseconds. Headers (tokens) are never logged."""

    def __init__(self, app: ASGIApp, sink: Callable[[str], None]) -> None:
        self.app = app
        self.sink = sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            ms = (time.perf_counter() - started) * 1000
            self.sink(f"{scope['method']} {scope['path']} {status} {ms:.1f}ms")
