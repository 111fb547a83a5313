"""Running the simulator: start/stop, a busy port, the foreground server (Ctrl-C, request log), realtime,
the served OpenAPI document, and the package's public surface."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from simkit import ALPHA, FIT, WORLD, Api, body

import conformance.simulator as public
from conformance.simulator import SimulatorStartError, start

ROOT = Path(__file__).resolve().parents[2]


def test_start_serves_on_a_free_loopback_port_and_stops() -> None:
    with start(world=WORLD) as sim:
        assert sim.base_url.startswith("http://127.0.0.1:") and sim.base_url.endswith("/api/fota/v1")
        assert httpx.get(sim.base_url + "/__control/clock").json() == {"now": "2026-03-01T00:00:00Z"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(sim.base_url + "/__control/clock", timeout=2)


def test_a_busy_port_is_a_one_line_start_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SimulatorStartError) as info:
            start(port=port)
    assert f"127.0.0.1:{port}" in str(info.value) and "\n" not in str(info.value)


def _serve(*args: str) -> subprocess.Popen[str]:
    code = ("import sys; from conformance.simulator.server import serve_forever; "
            "from conformance.simulator import Profile; "
            "raise SystemExit(serve_forever(port=0, profile=Profile.of(*sys.argv[1:])))")
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_serve_forever_logs_requests_without_tokens_and_stops_cleanly_on_ctrl_c() -> None:
    proc = _serve()
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/fota/v1")
        api = Api(base_url, httpx.Client(timeout=10))
        api.reset()
        uid = api.create(FIT[:1])
        assert api.get(uid).status_code == 200
        api.request("GET", "/upgrades/x/upgrade/y", headers={"Authorization": "Bearer s3cret-bearer",
                                                            "VZ-M2M-Token": "s3cret-m2m"})
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    lines = [line for line in err.splitlines() if line.startswith(("GET ", "PUT ", "POST ", "DELETE "))]
    assert "POST /api/fota/v1/upgrades 200" in "\n".join(lines)
    assert any(line.startswith("GET /api/fota/v1/upgrades/x/upgrade/y 401 ") and line.endswith("ms")
               for line in lines)
    for secret in ("bearer-alpha", "m2m-alpha", "s3cret"):
        assert secret not in out + err


def test_realtime_clock_follows_wall_time() -> None:
    with start(world=WORLD, realtime=True) as sim, httpx.Client(timeout=10) as client:
        api = Api(sim.base_url, client)
        first = api.now()
        uid = api.create(FIT[:1])
        time.sleep(0.05)
        assert api.now() > first
        assert api.status(uid) == "Queued"  # wall time moved the clock: the campaign was decided


def test_the_openapi_document_is_served_with_this_server(api: Api) -> None:
    doc = api.request("GET", "/openapi.json").json()
    assert doc["servers"] == [{"url": api.base_url, "description": "This reference simulator"}]
    r = api.request("GET", "/openapi.yaml")
    assert r.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(r.text)["paths"].keys() == doc["paths"].keys()
    assert {op["operationId"] for item in doc["paths"].values() for op in item.values()
            if isinstance(op, dict) and "operationId" in op} >= {"scheduleFirmwareUpgrade",
                                                                 "updateFirmwareUpgradeDevices"}


def test_requests_are_validated_against_the_document_itself(api: Api) -> None:
    r = api.schedule(body(FIT[:1], startDate="2030/01/01"))
    assert r.json() == {"errorCode": "FotaService.INPUT_INVALID.startDate",
                        "errorMessage": "startDate: '2030/01/01' is not a 'date'"}
    r = api.schedule(body([FIT[0], 12]))
    assert r.json()["errorMessage"] == "deviceList[1]: 12 is not of type 'string'"


def test_public_api() -> None:
    assert sorted(public.__all__) == sorted([
        "FAULTS", "VARIANTS", "ApiError", "Profile", "ProfileError", "RunningSimulator", "Simulator",
        "SimulatorStartError", "create_app", "serve_forever", "start"])
    for name in public.__all__:
        assert getattr(public, name) is not None


def test_simulator_never_imports_the_suite() -> None:
    code = ("import sys, conformance.simulator, conformance.simulator.server; "
            "print([m for m in sys.modules if m.startswith('conformance.suite')])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_alpha_headers_are_the_worlds_first_credential() -> None:
    cred = WORLD.credentials[0]
    assert {"Authorization": f"Bearer {cred.bearer}", "VZ-M2M-Token": cred.m2m} == ALPHA
