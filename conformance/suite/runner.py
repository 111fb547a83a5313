"""Running the checks against one target and producing the report (a plain JSON-able dict).

The report is the product (STYLE.md): the CLI, the pytest plugin and every renderer read it; none of
them looks at checks or exchanges directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.spec.rules import RULES, Level
from conformance.spec.world import World
from conformance.suite.context import (
    Api,
    BudgetExhausted,
    ControlError,
    ControlPlane,
    Ctx,
    Ledger,
    NotEnoughDevices,
    Settings,
    suite_world,
)
from conformance.suite.http import Client, TargetUnreachable
from conformance.suite.registry import CheckSpec, load_checks
from conformance.suite.results import Outcome, Results

__all__ = ["REPORT_VERSION", "ConfigError", "RunAborted", "run_suite"]

REPORT_VERSION = 1


class ConfigError(Exception):
    """The run cannot start as configured (exit code 2); the message is one line."""


class RunAborted(Exception):
    """The target could not be tested (exit code 3); the message is one line."""


#: Called as each check starts and ends: (check name, index, total, "start" | "end").
Progress = Callable[[str, int, int, str], None]


@dataclass
class _Run:
    client: Client
    control: ControlPlane | None
    results: Results
    ledger: Ledger
    settings: Settings
    world: World
    edges: dict[tuple[str, str], int] = field(default_factory=dict)


def _select(checks: dict[str, CheckSpec], rules: Iterable[str] | None) -> list[CheckSpec]:
    if rules is None:
        return list(checks.values())
    wanted = set(rules)
    unknown = wanted - set(RULES)
    if unknown:
        raise ConfigError(f"unknown rule id(s): {', '.join(sorted(unknown))}")
    return [c for c in checks.values() if wanted & set(c.rules)]


def run_suite(base_url: str, *, world: World | None = None, settings: Settings | None = None,
              rules: Iterable[str] | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Test the target at ``base_url`` and return the report.

    With a control plane the suite loads ``world`` (default: its own) before each check; without
    one, ``world`` must describe what the target already holds (ConfigError otherwise).
    Raises RunAborted when the target cannot be tested at all.
    """
    settings = settings or Settings()
    started = time.monotonic()
    client = Client(base_url, timeout=settings.timeout)
    try:
        control = ControlPlane(client)
        probe = client.send("GET", "/__control/clock", content_type=None)
        if probe.status is None:
            raise RunAborted(f"cannot reach {base_url}: {probe.error}")
        has_control = ControlPlane.answers_probe(probe)
        if not has_control and world is None:
            raise ConfigError("the target has no control plane (GET /__control/clock): pass --world FILE "
                              "describing the account, firmware, devices and tokens it already holds")
        the_world = world or suite_world()
        results = Results(secrets=[s for c in the_world.credentials for s in (c.bearer, c.m2m)],
                          seed=settings.seed)
        ledger = Ledger(cap=None if has_control else settings.max_campaigns)
        run = _Run(client, control if has_control else None, results, ledger, settings, the_world)
        selected = _select(load_checks(), rules)
        try:
            _run_checks(run, selected, progress)
        except TargetUnreachable as exc:
            raise RunAborted(str(exc)) from None
        finally:
            if not has_control:
                _cleanup(run)
        return _report(run, base_url, has_control, time.monotonic() - started, rules)
    finally:
        client.close()


def _run_checks(run: _Run, selected: list[CheckSpec], progress: Progress | None) -> None:
    api = Api(run.client, run.ledger)
    for index, spec in enumerate(selected):
        if progress:
            progress(spec.name, index, len(selected), "start")
        ctx = Ctx(api=api, control=run.control, results=run.results, settings=run.settings,
                  world=run.world, check=spec.name, observed_edges=run.edges)
        if spec.needs_control and run.control is None:
            for rule_id in spec.rules:
                ctx.skip(rule_id, f"{spec.name} needs the control plane (clock and world), which the target lacks")
        else:
            _run_one(ctx, spec)
        if progress:
            progress(spec.name, index, len(selected), "end")


def _run_one(ctx: Ctx, spec: CheckSpec) -> None:
    try:
        if spec.fresh_world:
            ctx.fresh_world()
        spec.func(ctx)
    except TargetUnreachable:
        raise
    except (BudgetExhausted, NotEnoughDevices) as exc:
        for rule_id in spec.rules:
            ctx.skip(rule_id, f"{spec.name}: {exc}")
    except ControlError as exc:
        # The control plane itself misbehaved: that is the SIM family's business.
        ctx.fail("SIM-01", "control plane call failed", expected="the calls of CONTRACT.md §1 to work",
                 actual=str(exc))
    except Exception as exc:  # a target answer the check could not digest is still a finding
        rule_id = next((r for r in spec.rules if RULES[r].level is not Level.INFO), spec.rules[0])
        if RULES[rule_id].level is Level.INFO:
            ctx.skip(rule_id, f"{spec.name} could not complete: {type(exc).__name__}: {exc}")
        else:
            ctx.fail(rule_id, f"{spec.name} could not complete on the target's answers",
                     expected="answers the check can interpret", actual=f"{type(exc).__name__}: {exc}")


def _cleanup(run: _Run) -> None:
    """Black-box safety: cancel every campaign this run created (CONTRACT §3)."""
    api = Api(run.client, run.ledger)
    for account, upgrade_id, cred in run.ledger.created:
        try:
            api.cancel(account, upgrade_id, creds=cred)
        except TargetUnreachable:
            return


def _report(run: _Run, base_url: str, has_control: bool, duration: float,
            rules: Iterable[str] | None) -> dict[str, Any]:
    verdicts = run.results.verdicts()
    out_rules: dict[str, Any] = {}
    for rule_id, v in verdicts.items():
        r = RULES[rule_id]
        entry: dict[str, Any] = {"outcome": str(v.outcome), "details": v.details, "level": str(r.level),
                                 "title": r.title, "checks": v.checks,
                                 "findings": [f.to_json() for f in v.findings]}
        if v.branch is not None or r.has_branches:
            entry["branch"] = v.branch
        out_rules[rule_id] = entry
    counts = {o.value: sum(1 for v in verdicts.values() if v.outcome is o) for o in Outcome}
    return {
        "report_version": REPORT_VERSION,
        "conformant": not any(v.outcome is Outcome.FAILED for v in verdicts.values()),
        "target": base_url,
        "control_plane": has_control,
        "seed": run.settings.seed,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration, 3),
        "requests": run.client.count,
        "selected_rules": sorted(rules) if rules is not None else None,
        "summary": counts,
        "created_campaigns": len(run.ledger.created),
        "lifecycle": {"observed_edges": [{"from": a, "to": b, "count": n}
                                         for (a, b), n in sorted(run.edges.items())]},
        "rules": out_rules,
    }
