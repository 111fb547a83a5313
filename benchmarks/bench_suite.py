"""How long the default ``fota-conformance run`` takes, and how close the suite gets to the loopback
speed of the simulator it tests.

    .venv/bin/python benchmarks/bench_suite.py [--raw-requests 2000] [--seed 0] [--depth D] [--own-process]

Prints, in one run:
- wall time of the default ``fota-conformance run`` as a user runs it (``python -m conformance run``
  in a subprocess: interpreter start-up, imports, the built-in simulator, every check), with the
  slowest checks of that run;
- the suite's request rate against the simulator (``run_suite`` against an in-process simulator,
  as the CLI runs it): ``report["requests"] / report["duration_s"]``, and its slowest checks;
- the rate of a bare httpx client replaying *the suite's own requests* of that run, in order, over
  one keep-alive connection against the same server (campaign ids created by the replay stand in
  for the recorded ones): the same world loads, clock moves, campaigns and large bodies, so the
  same server work — the ceiling the simulator and loopback set for exactly what the suite sent;
- the ratio of the two: how much of its time the suite spends waiting for the server rather than on
  its own work (generation, judging). On a machine shared with other work, wall-clock rates follow
  the load of the moment, so the same ratio is also given in requests per CPU-second of this
  process (the in-process simulator included, on both sides): the load-independent reading;
- for comparison with earlier measurements, the rate of a bare client on a fixed *synthetic* mix
  (30 % GET /__control/clock, GET and PUT on a real campaign, PUT /__control/clock, invalid POSTs,
  DELETE and PUT on an unknown id) and the ratio against it. That mix is lighter than the suite's
  (measured: the suite sends 2 % clock reads, 12 % POSTs that create a campaign, 5 % world loads of
  ~10 KB), so it overstates the ceiling;
- peak memory (max RSS) of the CLI run, which runs as on a fresh machine: an empty working folder,
  an empty HOME and an empty TMPDIR (and the folders are checked to stay empty but for the report).

``--own-process`` also measures both rates against ``python -m conformance simulate --port 0``
(no GIL shared with the suite), which is how a CI job tests someone else's server.

A script, not a test: numbers vary by machine and load; nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from conformance import Settings, run_suite  # noqa: E402  (after the path fix above)
from conformance.simulator.server import start  # noqa: E402
from conformance.spec.world import default_world, format_instant  # noqa: E402

SLOWEST = 5


Recorded = list[tuple[str, str, dict[str, str], bytes | None, int | None, bytes]]
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@contextmanager
def recording() -> Iterator[Recorded]:
    """Every request the suite's client sends meanwhile, with the answer: (method, url, headers,
    body, status, answer body)."""
    from conformance.suite.http import Client

    out: Recorded = []
    original = Client._exchange

    def exchange(self: Client, method: str, url: str, hdrs: dict[str, str], body: bytes | None,
                 started: float) -> Any:
        ex = original(self, method, url, hdrs, body, started)
        out.append((method, url, dict(hdrs), body, ex.status, ex.response_body))
        return ex

    Client._exchange = exchange  # type: ignore[method-assign]
    try:
        yield out
    finally:
        Client._exchange = original  # type: ignore[method-assign]


def replay_rate(recorded: Recorded) -> tuple[float, float, float]:
    """Requests per second (wall, CPU) of a bare client sending the recorded requests again, in
    order, on one keep-alive connection. An upgrade id the run was given is replaced by the one
    the replay was given for the same request, so reads and changes find their campaign. The third
    value is the share of answers with the recorded status: how faithfully the server work repeats."""
    ids: dict[str, str] = {}
    same = 0
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as client:
        started, cpu = time.perf_counter(), time.process_time()
        for method, url, headers, body, status, answer in recorded:
            url = _UUID.sub(lambda m: ids.get(m.group(0), m.group(0)), url)
            response = client.request(method, url, content=body, headers=headers)
            same += response.status_code == status
            if method == "POST" and status == 200 and response.status_code == 200:
                with suppress(ValueError, AttributeError, TypeError):
                    ids[json.loads(answer)["id"]] = response.json()["id"]
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(recorded) / wall, len(recorded) / cpu, same / len(recorded)


def raw_rate(base_url: str, n: int) -> tuple[float, float]:
    """Requests per second of a bare client on one keep-alive connection, with a fixed synthetic mix.

    Per 10 requests: 3 GET /__control/clock, 2 GET of a real campaign, 1 PUT /__control/clock
    (one second forward), 1 PUT on the campaign (append of a device it already has: a per-device
    failure), 1 POST (semantically invalid: a device of the other account, so no campaign piles
    up), 1 DELETE of an unknown id, 1 PUT on an unknown id.
    """
    world = default_world()
    cred = world.credentials[0]
    account = next(a for a in world.accounts if a.name == cred.accounts[0])
    firmware = account.firmware[0]
    device = next(d for d in account.devices if d.firmware == firmware.from_version and d.model == firmware.model)
    headers = {"Authorization": f"Bearer {cred.bearer}", "VZ-M2M-Token": cred.m2m,
               "Content-Type": "application/json", "Accept": "application/json"}
    start_date = (world.now + timedelta(days=30)).date().isoformat()
    valid = {"accountName": account.name, "firmwareName": firmware.name, "firmwareTo": firmware.to_version,
             "startDate": start_date, "deviceList": [device.imei]}
    invalid = json.dumps({**valid, "deviceList": ["990000000000000"]}).encode()
    change = json.dumps({"type": "append", "deviceList": [device.imei]}).encode()
    api = f"{base_url}/upgrades"
    with httpx.Client(timeout=10, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as client:
        client.put(f"{base_url}/__control/world", content=json.dumps(world.to_json()).encode())
        created = client.post(api, content=json.dumps(valid).encode(), headers=headers)
        created.raise_for_status()
        item = f"{api}/{account.name}/upgrade/{created.json()['id']}"
        unknown = f"{api}/{account.name}/upgrade/{uuid.uuid4()}"
        clock = f"{base_url}/__control/clock"
        now = world.now
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            step = i % 10
            if step in (0, 3, 6):
                client.get(clock)
            elif step in (1, 7):
                client.get(item, headers=headers)
            elif step == 2:
                now += timedelta(seconds=1)
                client.put(clock, content=json.dumps({"now": format_instant(now)}).encode())
            elif step == 4:
                client.put(item, content=change, headers=headers)
            elif step == 5:
                client.post(api, content=invalid, headers=headers)
            elif step == 8:
                client.delete(unknown, headers=headers)
            else:
                client.put(unknown, content=change, headers=headers)
        return n / (time.perf_counter() - started), n / (time.process_time() - cpu)


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


def slowest(label: str, report: dict[str, Any]) -> list[tuple[str, str]]:
    checks = sorted(report.get("checks", []), key=lambda c: -c["duration_s"])[:SLOWEST]
    return [(f"[{label}]   slowest: {c['name']}", f"{c['duration_s']:.2f} s, {c['requests']} req") for c in checks]


def measure(label: str, base_url: str, seed: int, raw_n: int, depth: str) -> list[tuple[str, str]]:
    with recording() as recorded:
        started, cpu = time.perf_counter(), time.process_time()
        report = run_suite(base_url, settings=Settings(seed=seed, depth=depth))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    suite_rps = report["requests"] / report["duration_s"] if report["duration_s"] else float("nan")
    suite_cpu_rps = report["requests"] / cpu
    bare, bare_cpu, same = replay_rate(recorded)
    raw, raw_cpu = raw_rate(base_url, raw_n)
    verdict = "conformant" if report["conformant"] else "NOT conformant"
    return [(f"[{label}] run_suite wall", f"{wall:.2f} s ({verdict})"),
            (f"[{label}] requests sent", f"{report['requests']}"),
            (f"[{label}] suite requests/s", f"{suite_rps:.0f}"),
            (f"[{label}] bare httpx requests/s, the suite's requests replayed", f"{bare:.0f} "
                                                                               f"({same:.1%} same status)"),
            (f"[{label}] suite / bare ratio", f"{suite_rps / bare:.2f}"),
            (f"[{label}] suite / bare ratio, per CPU-second", f"{suite_cpu_rps / bare_cpu:.2f} "
                                                            f"({suite_cpu_rps:.0f} vs {bare_cpu:.0f} req/CPU-s)"),
            (f"[{label}] bare httpx requests/s, synthetic mix ({raw_n} req)", f"{raw:.0f}"),
            (f"[{label}] suite / synthetic-mix ratio (wall; per CPU-second)",
             f"{suite_rps / raw:.2f}; {suite_cpu_rps / raw_cpu:.2f}"),
            *slowest(label, report)]


def cli_run(seed: int, depth: str) -> list[tuple[str, str]]:
    """The default run as a user runs it on a fresh machine: a fresh interpreter in an empty folder
    with an empty HOME and TMPDIR, the built-in simulator, every check. Runs first: its peak RSS is
    read from this process's (so far only) child."""
    with tempfile.TemporaryDirectory() as tmp:
        work, home, scratch = (Path(tmp) / name for name in ("work", "home", "tmp"))
        for folder in (work, home, scratch):
            folder.mkdir()
        path = work / "report.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HYPOTHESIS", "XDG_"))}
        env.update(HOME=str(home), TMPDIR=str(scratch), PYTHONPATH=str(ROOT))
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "conformance", "run", "-q", "--seed", str(seed),
                               "--depth", depth, "--report-json", str(path)], cwd=work, env=env,
                              capture_output=True, text=True)
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        left = sorted(str(p.relative_to(tmp)) for p in Path(tmp).rglob("*") if p != path and p.is_file())
        rows = [("[cli] `fota-conformance run` wall", f"{wall:.2f} s (exit {proc.returncode})"),
                ("[cli]   peak RSS, fresh machine", f"{peak:.0f} MiB"),
                ("[cli]   files left besides the report", ", ".join(left) or "none")]
        if path.exists():
            report = json.loads(path.read_text(encoding="utf-8"))
            rows += [("[cli]   of which run_suite", f"{report['duration_s']:.2f} s, {report['requests']} requests"),
                     *slowest("cli", report)]
        return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--raw-requests", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--depth", default="default", choices=("quick", "default", "thorough"))
    parser.add_argument("--own-process", action="store_true",
                        help="also measure against a simulator in its own process")
    args = parser.parse_args()

    rows = cli_run(args.seed, args.depth)  # first: a fresh machine state, before this process warms any cache
    with start() as sim:
        rows += measure("embedded", sim.base_url, args.seed, args.raw_requests, args.depth)
    if args.own_process:
        with simulator_process() as base_url:
            rows += measure("own process", base_url, args.seed, args.raw_requests, args.depth)

    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
