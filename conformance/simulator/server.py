"""Running the simulator: in a background thread for tests and the suite (``start``), or in the
foreground for ``fota-conformance simulate`` (``serve_forever``).

The listening socket is bound here, before uvicorn runs, so that a port already in use is a
``SimulatorStartError`` with a one-line message instead of a log line and ``sys.exit`` deep
inside uvicorn.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any, TextIO

import uvicorn

from conformance.simulator.app import API_PREFIX, Observer, create_app
from conformance.simulator.model import Simulator
from conformance.simulator.profile import Profile
from conformance.spec.world import World

__all__ = ["RunningSimulator", "SimulatorStartError", "serve_forever", "start"]

#: How long ``start`` waits for uvicorn to listen, and ``stop`` for it to finish.
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


class SimulatorStartError(RuntimeError):
    """The simulator could not start (e.g. the port is in use); the message is one line."""


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise SimulatorStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        # As uvicorn does: lets a restarted simulator reuse a port left in TIME_WAIT. It does not
        # let two servers listen on one port (Linux refuses that with EADDRINUSE).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        # Listening now, not when uvicorn gets round to it: whoever reads the URL we print may
        # connect at once, and a bound socket that is not listening yet refuses the connection.
        # (uvicorn listens on it again; that is harmless.)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise SimulatorStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{API_PREFIX}"


def _server(simulator: Simulator, *, log: bool, err: TextIO, control_plane: bool = True,
            observer: Observer | None = None, client_report: Callable[[], Any] | None = None) -> uvicorn.Server:
    sink = (lambda line: print(line, file=err, flush=True)) if log else None
    try:
        app = create_app(simulator=simulator, access_log=sink, control_plane=control_plane, observer=observer,
                         client_report=client_report)
    except (OSError, ValueError, KeyError) as exc:  # openapi.yaml missing or not the expected document
        raise SimulatorStartError(f"cannot load openapi.yaml: {exc}") from None
    # h11, not httptools, on purpose: httptools is ~40 % faster on loopback, but it refuses some
    # malformed requests itself (e.g. a control character in a header value) with a text/plain
    # 400 that never reaches the app, which breaks WIRE-01 (every answer is JSON).
    config = uvicorn.Config(app, http="h11", ws="none",
                            lifespan="off", access_log=False, log_config=None, log_level="warning",
                            timeout_graceful_shutdown=int(STOP_TIMEOUT))
    return uvicorn.Server(config)


class RunningSimulator:
    """A simulator serving in a background thread; ``stop()`` it, or use it as a context manager."""

    def __init__(self, *, simulator: Simulator, server: uvicorn.Server, thread: threading.Thread,
                 base_url: str) -> None:
        self.simulator = simulator
        self.base_url = base_url
        self._server = server
        self._thread = thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT)
        if self._thread.is_alive():  # a client holding a request open: stop waiting for it
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<RunningSimulator {self.base_url}>"


def start(*, world: World | None = None, profile: Profile | None = None, host: str = "127.0.0.1", port: int = 0,
          realtime: bool = False, control_plane: bool = True, observer: Observer | None = None,
          client_report: Callable[[], Any] | None = None) -> RunningSimulator:
    """Serve a new simulator on ``host:port`` (0: a free port); returns once it accepts connections.
    ``control_plane=False``: no ``/__control/*`` (a stand-in for a black-box target). ``observer``
    and ``client_report``: see ``create_app`` (``simulate --strict``)."""
    simulator = Simulator(world, profile=profile, realtime=realtime)
    server = _server(simulator, log=False, err=sys.stderr, control_plane=control_plane, observer=observer,
                     client_report=client_report)
    sock = _bind(host, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name=f"fota-simulator:{sock.getsockname()[1]}")
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise SimulatorStartError(f"the simulator did not start on {host}:{port}")
        time.sleep(0.002)
    return RunningSimulator(simulator=simulator, server=server, thread=thread, base_url=_base_url(sock))


class _Terminated(Exception):
    """SIGTERM, re-raised by uvicorn after its graceful shutdown (see serve_forever)."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def serve_forever(*, host: str = "127.0.0.1", port: int = 8080, world: World | None = None,
                  profile: Profile | None = None, log: bool = True, realtime: bool = False,
                  out: TextIO | None = None, err: TextIO | None = None, control_plane: bool = True,
                  observer: Observer | None = None, client_report: Callable[[], Any] | None = None) -> int:
    """Serve in the foreground until Ctrl-C (or SIGTERM); returns the exit code 0 once stopped, so
    that the caller can still write its reports (``simulate --strict``).

    Prints the base URL alone on the first line of ``out`` (scripts can read it), then a line per
    request on ``err``.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    simulator = Simulator(world, profile=profile, realtime=realtime)
    server = _server(simulator, log=log, err=err, control_plane=control_plane, observer=observer,
                     client_report=client_report)
    sock = _bind(host, port)
    base_url = _base_url(sock)
    # Installed before the URL is out: whoever reads it may stop us at once (see below).
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main else None
    clock = ("following wall time" if realtime else "frozen; move it with PUT /__control/clock" if control_plane
             else "frozen (no control plane: campaigns never progress)")
    # In the main thread uvicorn handles SIGINT/SIGTERM itself (graceful shutdown), restores the
    # handlers it found, then re-raises the signal: SIGINT arrives here as KeyboardInterrupt, and
    # SIGTERM through this handler as _Terminated. Without it, the default SIGTERM action would kill
    # the process after the shutdown, before anyone could write a report.
    try:
        print(base_url, file=out, flush=True)
        print(f"FOTA v1 reference simulator: clock {clock}; world with {len(simulator.world.accounts)} "
              f"account(s). Ctrl-C stops.", file=err, flush=True)
        server.run(sockets=[sock])
    except (KeyboardInterrupt, _Terminated):
        pass
    finally:
        sock.close()
        if main:
            signal.signal(signal.SIGTERM, previous)
    print("simulator stopped", file=err, flush=True)
    return 0
