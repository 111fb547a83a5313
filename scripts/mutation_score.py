"""Mutation score of the conformance suite: does the default run catch every planted fault by the
rule the fault names?

For every fault in ``conformance.simulator.profile.FAULTS`` this starts the reference simulator with
that one fault switched on, runs the default suite in-process against it, and reports whether the
fault's rule came out failed (warned, for a SHOULD rule). Other rules failing too is fine (a broken
timing can break several rules); the named rule staying green is a miss.

    .venv/bin/python scripts/mutation_score.py [--only NAME ...] [--rules R ...] [--jobs N]

Exit code 0 only at a score of 100 %.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.simulator.profile import FAULTS, Profile
from conformance.simulator.server import start
from conformance.suite.runner import run_suite


def _one(name: str, rules: list[str] | None) -> tuple[str, str, str, float, list[str]]:
    fault = FAULTS[name]
    began = time.monotonic()
    with start(profile=Profile.of(name)) as sim:
        report = run_suite(sim.base_url, rules=rules)
    outcome = report["rules"][fault.rule]["outcome"]
    failed = sorted(r for r, v in report["rules"].items() if v["outcome"] in ("failed", "warned"))
    return name, fault.rule, outcome, time.monotonic() - began, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="fault names (default: all)")
    parser.add_argument("--rules", nargs="*", help="run only these rules (default: the whole default suite)")
    parser.add_argument("--jobs", type=int, default=4, help="faults tested in parallel (default 4)")
    args = parser.parse_args(argv)
    names = args.only or sorted(FAULTS)
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(unknown)}")
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda n: _one(n, args.rules), names))
    caught = 0
    for name, rule_id, outcome, took, failed in rows:
        # A SHOULD rule, or the SHOULD part of a MUST rule (Fault.should_part), is caught as "warned".
        ok = outcome == FAULTS[name].expected_outcome
        caught += ok
        others = ", ".join(r for r in failed if r != rule_id) or "-"
        print(f"{'CAUGHT' if ok else 'MISSED'}  {name:<34} {rule_id:<8} {outcome:<8} {took:5.1f}s  also: {others}")
    score = caught / len(rows) if rows else 1.0
    print(f"\nmutation score: {caught}/{len(rows)} = {score:.0%} ({time.monotonic() - began:.1f} s)")
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
