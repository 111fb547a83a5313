"""Mode equivalence: for every rule that does not need the clock, the verdict with the control plane
and without it (black-box, the field's small world) must be the same — for the clean simulator and
for every planted fault and valid variant of the catalogue.

Each profile is run twice against the reference simulator: once with its control plane (the suite's
own world, loaded before each check), once without (``--no-control-plane`` with a wall-time clock and
the small world of tests/suite/fieldkit.py: 3 reachable fitting devices, 1 unreachable, 1 of another
model; 2 devices in a second account). A rule whose outcome differs is a *mismatch*, except that
black-box may report ``skipped`` with a reason (e.g. a decision polling could not see in time):
those are listed as *not seen*, never counted as passes.

    .venv/bin/python scripts/mode_equivalence.py [--only NAME ...] [--jobs N] [--examples N]

Exit code 0 when no profile has a mismatch. tests/suite/test_mode_equivalence.py runs a sample.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "suite"))

from fieldkit import field_simulator, small_world  # noqa: E402

from conformance.simulator.profile import FAULTS, VARIANTS, Profile  # noqa: E402
from conformance.simulator.server import start  # noqa: E402
from conformance.spec.rules import RULES  # noqa: E402
from conformance.suite.context import Settings  # noqa: E402
from conformance.suite.registry import load_checks  # noqa: E402
from conformance.suite.runner import run_suite  # noqa: E402

__all__ = ["NO_CLOCK", "Comparison", "compare", "profiles"]

NO_CLOCK = [r for r, rule in RULES.items() if not rule.needs_clock]
CLOCK_CHECKS = {name for name, spec in load_checks().items() if spec.needs_control}


@dataclass
class Comparison:
    profile: str
    #: rule → (with control plane, black-box) where they differ and black-box did not say why.
    mismatches: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: rule → (with control plane, the black-box skip reason): black-box could not see it.
    not_seen: dict[str, tuple[str, str]] = field(default_factory=dict)
    seconds: float = 0.0


def profiles() -> list[str]:
    """"clean", then every fault, then every variant."""
    return ["clean", *sorted(FAULTS), *sorted(VARIANTS)]


def compare(name: str, *, examples: int = 10) -> Comparison:
    began = time.monotonic()
    names = () if name == "clean" else (name,)
    settings = Settings(examples=examples, stateful_steps=10)
    with start(profile=Profile.of(*names)) as sim:
        lab = run_suite(sim.base_url, settings=settings)["rules"]
    field_settings = Settings(examples=examples, poll_interval=0.1, poll_total=3.0)
    with field_simulator(*names) as sim:
        bb = run_suite(sim.base_url, world=small_world(), settings=field_settings)["rules"]
    out = Comparison(name)
    for rule_id in NO_CLOCK:
        a, b = lab[rule_id]["outcome"], bb[rule_id]["outcome"]
        if a == b:
            continue
        by = {f["check"] for f in lab[rule_id].get("findings", [])}
        if b == "skipped" and bb[rule_id]["details"]:
            out.not_seen[rule_id] = (a, bb[rule_id]["details"][0])
        elif a in ("failed", "warned") and by and by <= CLOCK_CHECKS and b == "passed":
            # Found only by the clock's scenarios, which black-box lists as "partly untested".
            out.not_seen[rule_id] = (a, f"found only by {', '.join(sorted(by))}, which needs the control plane")
        else:
            out.mismatches[rule_id] = (a, b)
    out.seconds = time.monotonic() - began
    return out


def _line(c: Comparison) -> str:
    parts = [f"{r}: {a} with the control plane, {b} black-box" for r, (a, b) in c.mismatches.items()]
    parts += [f"{r}: {a} with the control plane, not seen black-box ({why})" for r, (a, why) in c.not_seen.items()]
    state = "MISMATCH" if c.mismatches else "not seen" if c.not_seen else "same"
    return f"{state:9} {c.profile:34} {c.seconds:5.1f} s  {'; '.join(parts) or '-'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="profile names: clean, faults, variants (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="profiles compared in parallel (default 2)")
    parser.add_argument("--examples", type=int, default=10, help="schema exploration examples (default 10)")
    args = parser.parse_args(argv)
    names = args.only or profiles()
    unknown = [n for n in names if n not in profiles()]
    if unknown:
        parser.error(f"unknown profile(s): {', '.join(unknown)}")
    began = time.monotonic()
    # Processes, not threads: Hypothesis (the schema sweep) is not thread-safe, and two sweeps in one
    # process report each other's examples as flaky.
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(partial(compare, examples=args.examples), names))
    for row in rows:
        print(_line(row))
    bad = [r.profile for r in rows if r.mismatches]
    unseen = sum(len(r.not_seen) for r in rows)
    print(f"\n{len(rows) - len(bad)} of {len(rows)} profiles give the same verdicts on the {len(NO_CLOCK)} rules "
          f"that need no clock; {unseen} verdict(s) not seen black-box (reported skipped or tested in part, "
          "with the reason); "
          f"{time.monotonic() - began:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
