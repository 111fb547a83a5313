"""How long the default ``fota-conformance run`` takes, and how close the suite gets to the loopback
speed of the simulator it tests.

    .venv/bin/python benchmarks/bench_suite.py [--raw-requests 2000] [--no-subprocess]

Measures, in one go:
- wall time of ``run_suite`` in-process against an embedded simulator (what the CLI does, minus
  interpreter start-up and imports), and of ``python -m conformance run`` as a subprocess (all of it);
- the suite's request rate: ``report["requests"] / report["duration_s"]``;
- the raw rate of a bare httpx client doing a similar mix against the same server (GET /__control/clock
  and a PUT on an unknown upgrade), i.e. the ceiling the simulator and loopback set;
- the ratio of the two: how much of the time the suite spends on its own work (generation, judging,
  clock moves) rather than waiting for the server.

The embedded simulator shares the GIL with the suite, so both rates are also measured against a
simulator in its own process (``python -m conformance simulate --port 0``), which is how a CI job
tests someone else's server.

A script, not a test: numbers vary by machine; nothing here asserts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from conformance import Settings, run_suite  # noqa: E402  (after the path fix above)
from conformance.simulator.server import start  # noqa: E402
from conformance.spec.world import default_world  # noqa: E402


def raw_rate(base_url: str, n: int) -> float:
    """Requests per second of a bare client, half GET /__control/clock, half PUT on an unknown id."""
    world = default_world()
    cred = world.credentials[0]
    account = cred.accounts[0]
    headers = {"Authorization": f"Bearer {cred.bearer}", "VZ-M2M-Token": cred.m2m,
               "Content-Type": "application/json", "Accept": "application/json"}
    body = b'{"type": "append", "deviceList": ["990003425730535"]}'
    put_url = f"{base_url}/upgrades/{account}/upgrade/{uuid.uuid4()}"
    with httpx.Client(timeout=10) as client:
        client.get(f"{base_url}/__control/clock")  # warm the connection
        started = time.perf_counter()
        for i in range(n):
            if i % 2:
                client.put(put_url, content=body, headers=headers)
            else:
                client.get(f"{base_url}/__control/clock")
        return n / (time.perf_counter() - started)


@contextmanager
def simulator_process() -> Iterator[str]:
    """A simulator in a subprocess; yields its base URL (the first line it prints)."""
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "simulate", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(10)


def measure(label: str, base_url: str, seed: int, raw_n: int) -> list[tuple[str, str]]:
    started = time.perf_counter()
    report = run_suite(base_url, settings=Settings(seed=seed))
    wall = time.perf_counter() - started
    suite_rps = report["requests"] / report["duration_s"] if report["duration_s"] else float("nan")
    raw = raw_rate(base_url, raw_n)
    verdict = "conformant" if report["conformant"] else "NOT conformant"
    rows = [(f"[{label}] run_suite wall", f"{wall:.2f} s ({verdict})"),
            (f"[{label}] requests sent", f"{report['requests']}"),
            (f"[{label}] suite requests/s", f"{suite_rps:.0f}"),
            (f"[{label}] bare httpx requests/s ({raw_n} req)", f"{raw:.0f}"),
            (f"[{label}] suite / bare ratio", f"{suite_rps / raw:.2f}")]
    slowest = sorted(report.get("checks", []), key=lambda c: -c["duration_s"])[:3]
    rows += [(f"[{label}]   slowest: {c['name']}", f"{c['duration_s']:.2f} s, {c['requests']} req") for c in slowest]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw-requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-subprocess", action="store_true", help="skip the `python -m conformance run` timing")
    args = parser.parse_args()

    rows: list[tuple[str, str]] = []
    with start() as sim:
        rows += measure("embedded", sim.base_url, args.seed, args.raw_requests)
    with simulator_process() as base_url:
        rows += measure("own process", base_url, args.seed, args.raw_requests)

    if not args.no_subprocess:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "conformance", "run", "-q", "--seed", str(args.seed),
                                   "--report-json", str(Path(tmp) / "r.json")],
                                  cwd=ROOT, capture_output=True, text=True)
            rows.append(("`python -m conformance run`, wall", f"{time.perf_counter() - started:.2f} s "
                                                               f"(exit {proc.returncode})"))

    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
