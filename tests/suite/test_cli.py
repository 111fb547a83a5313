"""The ``fota-conformance`` command against the real simulator over real HTTP, and against targets
that are broken in the ways a network can be (closed port, silent socket, not HTTP at all).

Every failure mode must end in one line on stderr and the documented exit code, never a traceback
and never a hang. Runs select a few rules (``--rules``): the full suite is the slow tests' business.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.report.jsonio import validate_report
from conformance.simulator.profile import FAULTS, VARIANTS
from conformance.spec.rules import RULES
from conformance.spec.world import Credential, World, default_world

ROOT = Path(__file__).resolve().parents[2]
# Distinctive tokens: if any output contains them, a secret leaked (docs/simulator-contract.md#safety).
BEARER, M2M = "tok-BEARER-9f3c2a71e4", "tok-M2M-5d81b0c6aa"
BEARER_B, M2M_B = "tok-BEARER-b-77e1d0", "tok-M2M-b-0c4f9a"


def secret_world() -> World:
    base = default_world()
    creds = (Credential(BEARER, M2M, base.credentials[0].accounts),
             Credential(BEARER_B, M2M_B, base.credentials[1].accounts))
    return World(now=base.now, credentials=creds, accounts=base.accounts)


def cli(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


def assert_one_line_error(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("fota-conformance:"), stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world") / "world.json"
    path.write_text(json.dumps(secret_world().to_json()))
    return path


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never answers: the target that stalls."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            held.append(conn)  # keep it open, say nothing

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    srv.close()


@pytest.fixture
def not_http_server() -> Iterator[int]:
    """Answers every connection with an SSH banner and hangs up: something, but not HTTP."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1]
    stop.set()
    thread.join()
    srv.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- usage errors: exit 2, one line ------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    [],
    ["frobnicate"],
    ["run", "--bogus"],
    ["run", "--seed", "x"],
    ["run", "--timeout", "0"],
    ["run", "--max-campaigns", "-1"],
    ["run", "--base-url", "ftp://example.com/api"],
    ["run", "--base-url", "http://"],
    ["run", "--base-url", "http://127.0.0.1:99999/api"],
    ["run", "--base-url", "127.0.0.1:8080"],
    ["run", "--rules", "POST-01,POST-99"],
    ["run", "--world", "/nonexistent/world.json"],
    ["run", "--report-json", "/nonexistent-dir/r.json"],
    ["run", "--base-url", "http://127.0.0.1:9/api", "--simulator-fault", "auth02-any-bearer"],
    ["run", "--simulator-fault", "no-such-fault"],
    ["run", "--simulator-variant", "no-such-variant"],
    ["simulate", "--world", "/nonexistent/world.json"],
    ["simulate", "--fault", "no-such-fault"],
    ["simulate", "--port", "70000"],
])
def test_usage_errors_are_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out = capsys.readouterr()
    assert_one_line_error(out.err)
    assert out.out == ""


def test_bad_world_files_and_report_paths_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "not.json").write_text("{nope")
    (tmp_path / "shape.json").write_text(json.dumps({"now": "2026-03-01T00:00:00Z", "accounts": []}))
    for argv in (["run", "--world", str(tmp_path / "not.json")],
                 ["run", "--world", str(tmp_path / "shape.json")],
                 ["run", "--junit-xml", str(tmp_path)],
                 ["run", "--markdown", str(tmp_path / "no" / "such" / "dir.md")]):
        assert main(argv) == 2, argv
        assert_one_line_error(capsys.readouterr().err)


def test_python_dash_m_is_the_same_command() -> None:
    result = cli("run", "--no-such-flag")
    assert result.returncode == 2
    assert_one_line_error(result.stderr)
    assert cli("--version").stdout.startswith("fota-conformance ")


def test_faults_lists_the_whole_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faults"]) == 0
    text = capsys.readouterr().out
    for fault in FAULTS.values():
        assert fault.name in text and fault.rule in text
    for variant in VARIANTS.values():
        assert variant.name in text
    assert main(["faults", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(FAULTS) + len(VARIANTS)


# --- targets that cannot be tested: exit 3, one line, no hang -----------------------------------------

def test_closed_port_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--base-url", f"http://127.0.0.1:{free_port()}/api/fota/v1", "-q"]) == 3
    err = capsys.readouterr().err
    assert_one_line_error(err)
    assert "could not be tested" in err


def test_silent_target_exits_3_within_the_timeout(silent_server: int) -> None:
    started = time.monotonic()
    result = cli("run", "--base-url", f"http://127.0.0.1:{silent_server}/api/fota/v1", "--timeout", "1",
                 timeout=30)
    assert result.returncode == 3, result.stderr
    assert time.monotonic() - started < 15
    assert_one_line_error(result.stderr)
    assert "no answer within 1 s" in result.stderr


def test_non_http_target_exits_3(not_http_server: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--base-url", f"http://127.0.0.1:{not_http_server}/api", "--timeout", "2", "-q"]) == 3
    assert_one_line_error(capsys.readouterr().err)


# --- real runs against the simulator -------------------------------------------------------------------

def test_planted_fault_run_fails_and_no_output_contains_a_token(tmp_path: Path, world_file: Path) -> None:
    """Tokens of --world go over the wire (the fault makes a finding quote the request) and appear in
    no report, no progress line, no summary."""
    paths = {"json": tmp_path / "r.json", "xml": tmp_path / "r.xml", "md": tmp_path / "r.md"}
    result = cli("run", "--world", str(world_file), "--simulator-fault", "auth03-m2m-ignored",
                 "--rules", "AUTH", "--report-json", str(paths["json"]),
                 "--junit-xml", str(paths["xml"]), "--markdown", str(paths["md"]))
    assert result.returncode == 1, result.stderr + result.stdout
    report = json.loads(paths["json"].read_text())
    assert validate_report(report) == []
    assert report["rules"]["AUTH-03"]["outcome"] == "failed"
    assert report["rules"]["POST-01"]["details"] == ["not selected in this run (--rules)"]
    ET.fromstring(paths["xml"].read_bytes())
    markdown = paths["md"].read_text()
    assert "Bearer ***" in markdown  # the token was in the request, and was masked
    assert "stateDiagram-v2" in markdown
    assert "FAIL  AUTH-03" in result.stdout and result.stdout.rstrip().splitlines()[-1].startswith("NOT CONFORMANT")
    assert "auth.py" in result.stderr or "auth." in result.stderr  # progress, one line per check
    for text in (result.stdout, result.stderr, *(p.read_text() for p in paths.values())):
        for token in (BEARER, M2M, BEARER_B, M2M_B):
            assert token not in text


def test_clean_simulator_passes_the_selected_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report_path = tmp_path / "r.json"
    code = main(["run", "--rules", "AUTH,SIM-01", "-q", "--report-json", str(report_path)])
    out = capsys.readouterr()
    assert code == 0, out.out
    assert out.err == ""  # -q: no progress
    report = json.loads(report_path.read_text())
    assert report["control_plane"] is True and report["conformant"] is True
    assert set(report["rules"]) == set(RULES)
    assert {report["rules"][r]["outcome"] for r in ("AUTH-01", "AUTH-02", "AUTH-04", "SIM-01")} == {"passed"}
    assert report["rules"]["AUTH-03"]["branch"]


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "run"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # the first progress line: the run is under way
        assert first.startswith("["), first
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    last = err.strip().splitlines()[-1]  # progress lines come first
    assert last.startswith("fota-conformance: interrupted"), err
    assert "Traceback" not in err


def test_simulate_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["simulate", "--port", str(port)]) == 2
    assert_one_line_error(capsys.readouterr().err)


# --- black-box safety (docs/simulator-contract.md#safety): a target without a control plane ---------

class BlackBoxProxy:
    """Forwards the API to a simulator but hides its control plane, and logs every exchange, so a
    test can see which campaigns the suite created and which it cancelled."""

    def __init__(self, upstream: str) -> None:
        import http.server

        import httpx

        self.log: list[tuple[str, str, int, bytes]] = []
        client = httpx.Client(timeout=10)
        proxy = self
        upstream_root = upstream.split("/", 3)[:3]
        origin = "/".join(upstream_root)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if "/__control/" in self.path:
                    status, headers, data = 404, {"Content-Type": "application/json"}, b'{"errorCode": "NotFound"}'
                else:
                    hop = {"host", "content-length", "connection", "accept-encoding"}
                    r = client.request(self.command, origin + self.path, content=body,
                                       headers={k: v for k, v in self.headers.items() if k.lower() not in hop})
                    status, data = r.status_code, r.content
                    headers = {"Content-Type": r.headers.get("content-type", "application/json")}
                proxy.log.append((self.command, self.path, status, data))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        path = "/" + upstream.split("/", 3)[3] if upstream.count("/") >= 3 else ""
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def created(self) -> set[str]:
        return {json.loads(data)["id"] for method, _p, status, data in self.log
                if method == "POST" and status == 200 and b'"id"' in data}

    def cancelled(self) -> set[str]:
        return {path.rsplit("/", 1)[-1] for method, path, _s, _d in self.log if method == "DELETE"}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def black_box() -> Iterator[BlackBoxProxy]:
    from conformance.simulator.server import start

    with start(world=secret_world()) as sim:
        proxy = BlackBoxProxy(sim.base_url)
        try:
            yield proxy
        finally:
            proxy.close()


def test_black_box_run_cancels_what_it_created_and_skips_clock_rules(black_box: BlackBoxProxy) -> None:
    from conformance import Settings, run_suite

    report = run_suite(black_box.base_url, world=secret_world(), rules=["POST", "LIFE"],
                       settings=Settings(max_campaigns=4, poll_total=0.5, poll_interval=0.1))
    assert report["control_plane"] is False
    assert report["created_campaigns"] == len(black_box.created()) <= 4
    assert black_box.created() <= black_box.cancelled()
    for rule_id in ("LIFE-05", "SIM-01"):
        assert report["rules"][rule_id]["outcome"] == "skipped"
    assert BEARER not in json.dumps(report) and M2M not in json.dumps(report)


def test_interrupted_black_box_run_still_cancels_its_campaigns(black_box: BlackBoxProxy) -> None:
    from conformance import Settings, run_suite

    def progress(name: str, index: int, total: int, phase: str) -> None:
        if index == 1 and phase == "start":
            raise KeyboardInterrupt  # as if Ctrl-C arrived while the second check was starting

    with pytest.raises(KeyboardInterrupt):
        run_suite(black_box.base_url, world=secret_world(), rules=["POST-01", "POST-03"], progress=progress,
                  settings=Settings(max_campaigns=3))
    assert black_box.created(), "the first check created nothing: the test proves nothing"
    assert black_box.created() <= black_box.cancelled()


def test_simulate_serves_until_ctrl_c() -> None:
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "conformance", "simulate", "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()  # the base URL alone on the first line
        assert httpx.get(f"{base_url}/__control/clock", timeout=5).status_code == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err


@pytest.mark.slow
def test_full_run_with_faults_in_every_family_leaks_no_token(tmp_path: Path, world_file: Path) -> None:
    """Every check runs, several fail and quote their requests: still no token anywhere."""
    out = {"json": tmp_path / "r.json", "xml": tmp_path / "r.xml", "md": tmp_path / "r.md"}
    faults = ["auth03-m2m-ignored", "post01-queued-at-once", "put07-lowercase-reason", "life04-get-stale-devices",
              "wire01-text-errors"]
    result = cli("run", "--world", str(world_file), *(f"--simulator-fault={f}" for f in faults),
                 "--examples", "5", "--report-json", str(out["json"]), "--junit-xml", str(out["xml"]),
                 "--markdown", str(out["md"]), timeout=300)
    assert result.returncode == 1, result.stderr
    report = json.loads(out["json"].read_text())
    assert validate_report(report) == []
    assert sum(len(r["findings"]) for r in report["rules"].values()) >= len(faults)
    assert "***" in out["md"].read_text()
    for text in (result.stdout, result.stderr, *(p.read_text() for p in out.values())):
        for token in (BEARER, M2M, BEARER_B, M2M_B):
            assert token not in text
