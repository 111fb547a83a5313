"""A wrong base URL is a configuration mistake, not a non-conformant target (suite/presence.py):
one line and exit code 2 — while a genuine implementation that answers one probe with 404 still
gets its verdict. Real servers on loopback: the simulator, and small stdlib servers."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from conformance.simulator.server import start
from conformance.suite.http import Client
from conformance.suite.presence import missing_api
from conformance.suite.runner import ConfigError, run_suite

Answer = tuple[int, str, bytes]


@contextmanager
def _server(answer: Callable[[str, str], Answer]) -> Iterator[str]:
    """A stdlib server answering every request with ``answer(method, path)``; yields its root URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, ctype, body = answer(self.command, self.path)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _missing(base_url: str) -> str | None:
    with Client(base_url, timeout=5) as client:
        return missing_api(client)


NOT_FOUND_PAGE: Answer = (404, "text/html", b"<html><body>Not Found</body></html>")
GATEWAY_NO_RESOURCE: Answer = (400, "application/json", json.dumps(
    {"fault": {"code": 900906, "message": "No matching resource found in the API for the given request"}}).encode())
UNAUTHORIZED: Answer = (401, "application/json", b'{"errorCode": "Unauthorized", "errorMessage": "no token"}')


@pytest.mark.parametrize("answer", [NOT_FOUND_PAGE, GATEWAY_NO_RESOURCE, (405, "text/plain", b"Method Not Allowed"),
                                    (302, "text/html", b"")], ids=["404-page", "gateway-900906", "405", "redirect"])
def test_a_server_without_the_api_is_named_as_such(answer: Answer) -> None:
    with _server(lambda method, path: answer) as root:
        why = _missing(root + "/api/fota/v1")
    assert why is not None and why.startswith(f"no FOTA API at {root}/api/fota/v1: POST /upgrades answered ")
    assert "https://thingspace.verizon.com/api/fota/v1" in why and "\n" not in why


def test_one_missing_operation_is_the_targets_failure_not_a_wrong_url() -> None:
    """POST /upgrades 404 but the upgrade path routed (401): an implementation, judged by the rules."""
    with _server(lambda method, path: NOT_FOUND_PAGE if method == "POST" else UNAUTHORIZED) as root:
        assert _missing(root) is None
    with _server(lambda method, path: UNAUTHORIZED if method == "POST" else NOT_FOUND_PAGE) as root:
        assert _missing(root) is None


@pytest.mark.parametrize("suffix", ["", "/nope"], ids=["server-root", "extra-segment"])
def test_a_wrong_base_url_of_a_black_box_target_is_a_configuration_error(suffix: str) -> None:
    with start(control_plane=False, realtime=True) as sim:
        root = sim.base_url.split("/api/", 1)[0] if not suffix else sim.base_url + suffix
        with pytest.raises(ConfigError, match=r"^no FOTA API at "):
            run_suite(root)
        assert _missing(sim.base_url) is None  # the right base URL: the API answers


def test_the_cli_says_it_in_one_line_with_exit_code_2() -> None:
    with _server(lambda method, path: NOT_FOUND_PAGE) as root:
        proc = subprocess.run([sys.executable, "-m", "conformance", "run", "--base-url", root, "-q"],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "no FOTA API at" in proc.stderr and "Traceback" not in proc.stderr
