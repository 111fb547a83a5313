"""Reports always: whatever ends a run early — the target stops answering, Ctrl-C, SIGTERM, a check
that crashes — every report asked for is still written, with the reason and everything tested up to
then, and the exit codes stay (3 untestable, 130 interrupted)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fieldkit import field_simulator, write_world

from conformance.cli import main
from conformance.suite import runner

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _outputs(tmp_path: Path) -> list[str]:
    return ["--report-json", str(tmp_path / "r.json"), "--junit-xml", str(tmp_path / "r.xml"),
            "--markdown", str(tmp_path / "r.md"), "--record-cassette", str(tmp_path / "c.yaml")]


def _assert_written(tmp_path: Path, kind: str) -> dict[str, Any]:
    for name in ("r.json", "r.xml", "r.md", "c.yaml"):
        assert (tmp_path / name).stat().st_size > 0, name
    report: dict[str, Any] = json.loads((tmp_path / "r.json").read_text())
    assert report["aborted"]["kind"] == kind and report["aborted"]["reason"]
    assert report["conformant"] is False and report["coverage"]["line"].startswith("INCOMPLETE")
    assert "RUN STOPPED EARLY" in (tmp_path / "r.md").read_text()
    return report


def test_target_that_stops_answering_still_gets_every_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    world = write_world(tmp_path / "world.json")
    real = runner._run_one
    with field_simulator() as sim:

        def run_one(ctx: Any, spec: Any, w: Any) -> str | None:
            if spec.name.startswith("wire."):
                sim.stop()  # the target goes away in the middle of the run
            return real(ctx, spec, w)

        monkeypatch.setattr(runner, "_run_one", run_one)
        code = main(["run", "--base-url", sim.base_url, "--world", str(world), "-q", "--timeout", "2",
                     *_outputs(tmp_path)])
    assert code == 3
    assert "target could not be tested" in capsys.readouterr().err
    report = _assert_written(tmp_path, "unreachable")
    rules = report["rules"]
    assert rules["POST-01"]["outcome"] == "passed"  # tested before the target went away
    assert rules["WIRE-05"]["outcome"] == "skipped"
    assert any("stopped answering" in d for d in rules["WIRE-05"]["details"])


def test_unreachable_from_the_start_still_writes_the_reports(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    world = write_world(tmp_path / "world.json")
    code = main(["run", "--base-url", f"http://127.0.0.1:{port}/api/fota/v1", "--world", str(world), "-q",
                 *_outputs(tmp_path)[:6]])
    assert code == 3
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["aborted"]["kind"] == "unreachable"
    assert {v["outcome"] for v in report["rules"].values()} == {"skipped"}


def test_a_crashing_check_still_gets_every_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.suite.registry import CHECKS, load_checks

    load_checks()
    name = "auth.unknown_bearer_token_gets_401"

    def crash(ctx: Any) -> None:
        raise NotImplementedError("a check of the suite is broken")

    # Every check that tests AUTH-02 is broken, so that nothing else exercises it.
    for broken in [n for n, spec in CHECKS.items() if "AUTH-02" in spec.rules]:
        monkeypatch.setitem(CHECKS, broken, CHECKS[broken].__class__(**{**{f: getattr(CHECKS[broken], f) for f in (
            "name", "rules", "needs_control", "fresh_world", "doc")}, "func": crash}))
    world = write_world(tmp_path / "world.json")
    with field_simulator() as sim:
        code = main(["run", "--base-url", sim.base_url, "--world", str(world), "-q", "--rules", "AUTH",
                     *_outputs(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["suite_errors"] and name in report["suite_errors"][0]
    assert report["rules"]["AUTH-02"]["outcome"] == "skipped"
    assert report["rules"]["AUTH-01"]["outcome"] == "passed"
    assert (tmp_path / "r.xml").exists() and (tmp_path / "r.md").exists() and (tmp_path / "c.yaml").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_run_writes_reports_and_cleans_up(tmp_path: Path, sig: signal.Signals) -> None:
    world = write_world(tmp_path / "world.json")
    # A frozen clock: accepted invalid requests stay RequestPending, so POST-04 polls (and says so).
    with field_simulator(realtime=False) as sim:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "conformance", "run", "--base-url", sim.base_url, "--world", str(world),
             "--poll-interval", "0.2", "--poll-total", "120", *_outputs(tmp_path)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            seen.append(line)
            if "still RequestPending" in line:  # the progress while the suite waits on the target
                break
        else:
            proc.kill()
            pytest.fail(f"no waiting progress shown: {seen[-5:]}")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        left = [c for c in sim.simulator.campaigns() if c.status in ("RequestPending", "Queued") and not c.cancelled]
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "RUN STOPPED EARLY" in out and out.strip().splitlines()[-1].startswith("INCOMPLETE on")
    report = _assert_written(tmp_path, "interrupted")
    assert report["rules"]["POST-01"]["outcome"] == "passed"
    assert left == [], "the black-box cleanup cancelled every campaign before exiting"
    assert report["created_campaigns"] == report["cancelled_campaigns"]


def test_a_target_whose_reads_stall_ends_in_bounded_time_with_every_report(tmp_path: Path) -> None:
    """Only GET of an upgrade hangs (accepted, never answered) while POST, PUT and DELETE answer:
    the run ends within a few timeouts, exit 3, every report written, and the campaigns it
    created are cancelled (DELETE still answers)."""
    import http.server
    import threading

    import httpx
    from fieldkit import open_campaigns

    world = write_world(tmp_path / "world.json")
    release = threading.Event()
    with field_simulator() as sim, httpx.Client(timeout=10) as upstream:
        origin = sim.base_url.split("/api/", 1)[0]

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.command == "GET" and "/upgrades/" in self.path:
                    release.wait(60)  # the read hangs
                    return
                skip = {"host", "content-length", "connection", "accept-encoding"}
                r = upstream.request(self.command, origin + self.path, content=body,
                                     headers={k: v for k, v in self.headers.items() if k.lower() not in skip})
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("content-type", "application/json"))
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        proxy.daemon_threads = True
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            started = time.monotonic()
            code = main(["run", "--base-url", f"http://127.0.0.1:{proxy.server_address[1]}/api/fota/v1",
                         "--world", str(world), "-q", "--timeout", "2", *_outputs(tmp_path)])
            elapsed = time.monotonic() - started
        finally:
            release.set()
            proxy.shutdown()
            proxy.server_close()
        assert code == 3 and elapsed < 60
        report = _assert_written(tmp_path, "unreachable")
        assert report["created_campaigns"] == report["cancelled_campaigns"]
        assert open_campaigns(sim) == []
