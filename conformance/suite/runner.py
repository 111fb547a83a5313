"""Running the checks against one target and producing the report (a plain JSON-able dict).

The report is the product: the CLI, the pytest plugin and every renderer read it; none of
them looks at checks or exchanges directly.
"""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from conformance.spec.rules import FAMILIES, RULES, Level
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
from conformance.suite.coverage import coverage
from conformance.suite.depth import DEPTHS
from conformance.suite.http import Client, TargetUnreachable
from conformance.suite.pool import Pool
from conformance.suite.presence import missing_api
from conformance.suite.registry import CheckSpec, load_checks
from conformance.suite.results import REPORT_VERSION, Outcome, Results, mask_all, rule_entries, summary
from conformance.suite.scratch import hypothesis_scratch

__all__ = ["REPORT_VERSION", "ConfigError", "Progress", "RunAborted", "RunInterrupted", "expand_rules",
           "run_suite", "validate_base_url"]



class ConfigError(Exception):
    """The run cannot start as configured (exit code 2); the message is one line."""


class RunAborted(Exception):
    """The target could not be tested (exit code 3); the message is one line. ``report`` is what
    was tested up to then (every rule not reached ``skipped`` with the reason), when a run began."""

    def __init__(self, message: str, report: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.report = report


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a run (exit code 130), after the black-box cleanup; ``report`` is
    what was tested up to then. A KeyboardInterrupt, so callers that only know that still stop."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__("interrupted")
        self.report = report


#: Exceptions that say the *suite* is broken (a check's own bug or a missing dependency), never the
#: target: reporting them as the target's failure would flag a correct implementation.
_SUITE_BUGS = (ImportError, NameError, SyntaxError, NotImplementedError, RecursionError)


#: Called as each check starts and ends: (check name, index, total, "start" | "end"), and while a check
#: waits on the target (polling): ("<check>: <what it waits for>", index, total, "wait").
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
    #: Devices handed out so far. One set for the whole run: without a control plane nothing
    #: resets the target between checks, so a device must never be handed out twice.
    used: set[str] = field(default_factory=set)
    timings: list[dict[str, Any]] = field(default_factory=list)
    cancelled: int = 0
    suite_errors: list[str] = field(default_factory=list)
    #: Black-box only: the device economy (suite/pool.py).
    pool: Pool | None = None
    #: Why the run stopped early: {"kind": "unreachable" | "interrupted", "reason": ...}.
    aborted: dict[str, str] | None = None


def validate_base_url(base_url: str) -> str:
    """An http(s) URL with a host, without a trailing slash; ConfigError (one line) otherwise.

    Checked here and not left to httpx: httpx raises InvalidURL/UnsupportedProtocol, which are not
    transport errors, so a typo would surface as a traceback instead of exit code 2.
    """
    try:
        parts = urlsplit(base_url)
        _ = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise ConfigError(f"invalid base URL {base_url!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"invalid base URL {base_url!r}: the scheme must be http or https")
    if not parts.hostname:
        raise ConfigError(f"invalid base URL {base_url!r}: no host")
    if parts.query or parts.fragment:
        raise ConfigError(f"invalid base URL {base_url!r}: no query or fragment allowed (paths hang off it)")
    return base_url.rstrip("/")


def expand_rules(selection: Iterable[str]) -> list[str]:
    """Rule IDs and family names (``POST``, ``lifecycle`` is not one: families are the ID prefixes)
    to rule IDs, in catalogue order; ConfigError names the unknown ones."""
    wanted: set[str] = set()
    unknown: list[str] = []
    for raw in selection:
        item = raw.strip().upper()
        if not item:
            continue
        if item in RULES:
            wanted.add(item)
        elif item in FAMILIES:
            wanted.update(r.id for r in RULES.values() if r.family == item)
        else:
            unknown.append(raw.strip())
    if unknown:
        raise ConfigError(f"unknown rule id(s): {', '.join(unknown)} (known: WIRE-01 … SIM-04, or a family: "
                          f"{', '.join(FAMILIES)})")
    if not wanted:
        raise ConfigError("no rule selected")
    return [r for r in RULES if r in wanted]


def _check_world(world: World) -> None:
    """The suite tests as the world's first credential, on that credential's first account."""
    if not world.credentials:
        raise ConfigError("the world has no credentials: the suite needs a bearer and m2m token to test with")
    first = world.credentials[0]
    if not first.accounts or world.account(first.accounts[0]) is None:
        raise ConfigError("the world's first credential must cover an account described in 'accounts' "
                          "(the suite tests on it)")


def _validate_settings(settings: Settings) -> None:
    if settings.timeout <= 0:
        raise ConfigError(f"timeout must be positive, got {settings.timeout:g}")
    if settings.max_campaigns < 1:
        raise ConfigError(f"max_campaigns must be at least 1, got {settings.max_campaigns}")
    if settings.poll_interval <= 0 or settings.poll_total < 0:
        raise ConfigError("poll_interval must be positive and poll_total not negative")
    if settings.examples < 1 or settings.stateful_steps < 1:
        raise ConfigError("examples and stateful_steps must be at least 1")
    if settings.depth not in DEPTHS:
        raise ConfigError(f"unknown depth {settings.depth!r} (known: {', '.join(DEPTHS)})")


def _select(checks: dict[str, CheckSpec], rules: list[str] | None) -> list[CheckSpec]:
    if rules is None:
        return list(checks.values())
    wanted = set(rules)
    return [c for c in checks.values() if wanted & set(c.rules)]


#: Without a control plane, campaigns (capped) and devices (few, never reset) are scarce. The pool
#: takes devices back between checks, but a target that never lets go of them (a stateless mock
#: whose DELETE changes nothing) would starve the later checks: auth checks go first, because
#: on a correct target they cost one shared campaign and every device comes back (their requests
#: must be refused), and a lenient target is best convicted there; then the operations' own rules;
#: wire; lifecycle and the schema sweep take what is left.
_BLACK_BOX_PRIORITY = ("auth", "post", "put", "wire", "lifecycle", "schema")


def _black_box_order(selected: list[CheckSpec]) -> list[CheckSpec]:
    def rank(spec: CheckSpec) -> int:
        family = spec.name.split(".", 1)[0]
        return _BLACK_BOX_PRIORITY.index(family) if family in _BLACK_BOX_PRIORITY else len(_BLACK_BOX_PRIORITY)

    return sorted(selected, key=rank)  # stable: registration order within a family


def run_suite(base_url: str, *, world: World | None = None, settings: Settings | None = None,
              rules: Iterable[str] | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Test the target at ``base_url`` and return the report.

    With a control plane the suite loads ``world`` (default: its own) before each check; without
    one, ``world`` must describe what the target already holds (ConfigError otherwise).
    ``rules`` selects rule IDs or families (``"POST"``); the report still lists every rule, the
    unselected ones ``skipped``. Raises ConfigError for bad arguments, RunAborted when the target
    cannot be tested at all. On KeyboardInterrupt, campaigns created on a target without a control
    plane are cancelled before the interrupt propagates.
    """
    settings = settings or Settings()
    base_url = validate_base_url(base_url)
    _validate_settings(settings)
    selected_rules = expand_rules(rules) if rules is not None else None
    if selected_rules is not None and len(selected_rules) == len(RULES):
        selected_rules = None
    started = time.monotonic()
    secrets = [s for c in (world.credentials if world else ()) for s in (c.bearer, c.m2m)]
    client = Client(base_url, timeout=settings.timeout, secrets=secrets)
    try:
        control = ControlPlane(client)
        probe = client.send("GET", "/__control/clock", content_type=None)
        if probe.status is None:
            reason = f"cannot reach {base_url}: {_one_line(probe.error or 'no answer')}"
            # Still a report: a CI job keeps the evidence of why nothing was tested.
            empty = _Run(client, None, Results(seed=settings.seed), Ledger(), settings, world or suite_world(),
                         aborted={"kind": "unreachable", "reason": reason})
            for rule_id in RULES:
                empty.results.skip(rule_id, f"not tested: {reason}")
            report = _report(empty, base_url, False, time.monotonic() - started, selected_rules)
            raise RunAborted(reason, mask_all(report, client.secrets | set(secrets)))
        has_control = ControlPlane.answers_probe(probe)
        missing = None if has_control else missing_api(client)
        if missing is not None:
            raise ConfigError(missing)
        if not has_control and world is None:
            raise ConfigError("the target has no control plane (GET /__control/clock): pass --world FILE "
                              "describing the account, firmware, devices and tokens it already holds")
        the_world = world or suite_world()
        _check_world(the_world)
        results = Results(secrets=[s for c in the_world.credentials for s in (c.bearer, c.m2m)],
                          seed=settings.seed)
        ledger = Ledger(cap=None if has_control else settings.max_campaigns)
        run = _Run(client, control if has_control else None, results, ledger, settings, the_world,
                   pool=None if has_control else Pool(the_world))
        selected = _select(load_checks(), selected_rules)
        if not has_control:
            selected = _black_box_order(selected)
        try:
            with hypothesis_scratch(), _frozen_heap():  # nothing of Hypothesis's lands in the user's folder
                _run_checks(run, selected, progress)
        except TargetUnreachable as exc:
            run.aborted = {"kind": "unreachable", "reason": f"the target stopped answering: {_one_line(str(exc))}"}
        except KeyboardInterrupt:
            run.aborted = {"kind": "interrupted", "reason": "the run was interrupted (Ctrl-C or SIGTERM)"}
        finally:
            if not has_control:
                try:
                    _cleanup(run)
                except KeyboardInterrupt:
                    run.aborted = run.aborted or {"kind": "interrupted",
                                                  "reason": "the run was interrupted (Ctrl-C or SIGTERM)"}
        if run.aborted:
            _skip_unreached(run, selected)
        if selected_rules is not None:
            for rule_id in RULES:
                if rule_id not in selected_rules:
                    # Only shown when no selected check exercised the rule on the side.
                    results.skip(rule_id, "not selected in this run (--rules)")
        report = _report(run, base_url, has_control, time.monotonic() - started, selected_rules)
        # Belt and braces: skip reasons, notes and exception texts are not all masked at the
        # source; no report may ever carry a token (docs/simulator-contract.md#safety), so mask
        # everything once more.
        masked: dict[str, Any] = mask_all(report, client.secrets | set(secrets))
        if run.aborted and run.aborted["kind"] == "interrupted":
            raise RunInterrupted(masked)
        if run.aborted:
            raise RunAborted(run.aborted["reason"], masked)
        return masked
    finally:
        client.close()


def _skip_unreached(run: _Run, selected: list[CheckSpec]) -> None:
    """Every rule of a check the aborted run never finished is reported skipped, with why."""
    assert run.aborted is not None
    finished = {t["name"] for t in run.timings}
    for spec in selected:
        if spec.name not in finished:
            for rule_id in spec.rules:
                run.results.skip(rule_id, f"not tested: {run.aborted['reason']} before {spec.name} finished")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _run_checks(run: _Run, selected: list[CheckSpec], progress: Progress | None) -> None:
    api = Api(run.client, run.ledger, pool=run.pool)
    for index, spec in enumerate(selected):
        gc.freeze()  # see _frozen_heap
        if progress:
            progress(spec.name, index, len(selected), "start")
        # Black-box: the check sees every device the pool cannot lend now as used; it takes its
        # own through the pool (Ctx.devices) and gives them back when it ends.
        used = run.pool.busy() if run.pool is not None else run.used
        ctx = Ctx(api=api, control=run.control, results=run.results, settings=run.settings,
                  world=run.world, check=spec.name, observed_edges=run.edges, home=run.world,
                  used=used, progress=_waiting(progress, spec.name, index, len(selected)))
        t0 = time.monotonic()
        requests0 = run.client.count
        if spec.needs_control and run.control is None:
            for rule_id in spec.rules:
                ctx.skip(rule_id, f"{spec.name} needs the control plane (clock and world), which the target lacks")
            ran = False
        else:
            try:
                error = _run_one(ctx, spec, run.world)
            finally:
                if run.pool is not None:
                    run.pool.give_back(spec.name)
            if error:
                run.suite_errors.append(error)
            ran = True
            if run.pool is not None:
                # Take turns: what this check's campaigns hold comes back before the next one. The
                # shared open campaigns are trimmed only when devices run short: every trim the
                # target does not honour costs a campaign of the capped budget.
                run.pool.recycle(api, trim_kept=run.pool.free_count(_fitting(run.world)) < _TRIM_BELOW)
        run.timings.append({"name": spec.name, "rules": list(spec.rules), "ran": ran,
                            "duration_s": round(time.monotonic() - t0, 4),
                            "requests": run.client.count - requests0})
        if progress:
            progress(spec.name, index, len(selected), "end")


#: Trim the shared campaigns when fewer devices than this (of the suite's account, fitting its
#: firmware) are free: enough for most checks (a campaign of one and two to append or send).
_TRIM_BELOW = 3


def _fitting(world: World) -> list[str]:
    first = world.credentials[0]
    acc = world.account(first.accounts[0])
    if acc is None or not acc.firmware:
        return []
    fw = max(acc.firmware, key=lambda f: sum(d.fits(f) for d in acc.devices))
    return [d.imei for d in acc.devices if d.fits(fw)]


def _waiting(progress: Progress | None, name: str, index: int, total: int) -> Callable[[str], None] | None:
    """Ctx.waiting → the progress callback, phase "wait" (the text follows the check's name)."""
    if progress is None:
        return None
    return lambda text: progress(f"{name}: {text}", index, total, "wait")


def _run_one(ctx: Ctx, spec: CheckSpec, world: World) -> str | None:
    """Run one check; returns a one-line description when the check itself is broken."""
    try:
        if spec.fresh_world:
            # The run's world (the suite's own, or --world), not Ctx's default, so that a world
            # given on the command line is the one a control-plane target is tested with.
            ctx.fresh_world(world)
        spec.func(ctx)
    except TargetUnreachable:
        raise
    except (BudgetExhausted, NotEnoughDevices) as exc:
        for rule_id in spec.rules:
            ctx.skip(rule_id, f"{spec.name}: {exc}")
    except _SUITE_BUGS as exc:
        error = f"{spec.name}: {type(exc).__name__}: {exc}"
        for rule_id in spec.rules:
            ctx.skip(rule_id, f"internal error of the suite in {error}")
        return _one_line(error)
    except ControlError as exc:
        # The control plane itself misbehaved: that is the SIM family's business.
        ctx.fail("SIM-01", "control plane call failed", expected="the control plane's calls to work",
                 actual=str(exc))
    except Exception as exc:  # a target answer the check could not digest is still a finding
        rule_id = next((r for r in spec.rules if RULES[r].level is not Level.INFO), spec.rules[0])
        if RULES[rule_id].level is Level.INFO:
            ctx.skip(rule_id, f"{spec.name} could not complete: {type(exc).__name__}: {exc}")
        else:
            ctx.fail(rule_id, f"{spec.name} could not complete on the target's answers",
                     expected="answers the check can interpret", actual=f"{type(exc).__name__}: {exc}")
    return None


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the garbage collector off what is already there while the checks run.

    A run imports schemathesis and Hypothesis and loads the schema: about a million long-lived
    objects, which every full collection walked again — a tenth of a default run's time
    (measured with ``gc.callbacks``). Before each check (``_run_checks``) what exists is moved
    out of the collector's sight (``gc.freeze``); garbage the checks make is collected as usual.
    At the end everything is handed back (``gc.unfreeze``), so a host process (the pytest
    plugin, a harness running several suites) collects as before."""
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _sigint_deferred() -> Iterator[list[int]]:
    """Hold Ctrl-C back while cleaning up: a second Ctrl-C must not leave campaigns behind on a real
    system. Every request has a timeout, so the wait is bounded. The interrupt is re-raised after."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return
    # SIGTERM too: the CLI turns it into an interrupt, which must not cut the cleanup short either.
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: pending.append(signum))
    try:
        yield pending
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if pending:
        raise KeyboardInterrupt


def _cleanup(run: _Run) -> None:
    """Black-box safety: cancel every campaign this run created (docs/simulator-contract.md#safety) and
    not yet cancelled."""
    api = Api(run.client, run.ledger)
    pool = run.pool
    done = {key for key in ((a, u) for a, u, _ in run.ledger.created) if pool is not None and pool.is_cancelled(key)}
    run.cancelled = len(done)
    with _sigint_deferred():
        for account, upgrade_id, cred in run.ledger.created:
            if (account, upgrade_id) in done:
                continue
            try:
                ex = api.cancel(account, upgrade_id, creds=cred)
            except TargetUnreachable:
                return
            if ex.status is not None and 200 <= ex.status < 300:
                run.cancelled += 1
            done.add((account, upgrade_id))


def _report(run: _Run, base_url: str, has_control: bool, duration: float,
            rules: list[str] | None) -> dict[str, Any]:
    from conformance import __version__  # deferred: the package __init__ re-exports this module

    verdicts = run.results.verdicts()
    s = run.settings
    out_rules = rule_entries(verdicts)
    # An aborted run is no pass, whatever it saw before it stopped.
    conformant = run.aborted is None and not any(v.outcome is Outcome.FAILED for v in verdicts.values())
    return {
        "report_version": REPORT_VERSION,
        "suite_version": __version__,
        "conformant": conformant,
        "target": base_url,
        "control_plane": has_control,
        "seed": s.seed,
        "depth": s.depth,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_s": round(duration, 3),
        "requests": run.client.count,
        "selected_rules": rules,
        "settings": {"timeout": s.timeout, "max_campaigns": s.max_campaigns, "min_lead_days": s.min_lead_days,
                     "poll_interval": s.poll_interval, "poll_total": s.poll_total, "examples": s.examples,
                     "stateful_steps": s.stateful_steps, "depth": s.depth},
        "summary": summary(verdicts),
        "created_campaigns": len(run.ledger.created),
        "cancelled_campaigns": run.cancelled,
        "lifecycle": {"observed_edges": [{"from": a, "to": b, "count": n}
                                         for (a, b), n in sorted(run.edges.items())]},
        "checks": run.timings,
        #: Checks that crashed on a bug of their own: their rules are skipped, not failed.
        "suite_errors": run.suite_errors,
        "rules": out_rules,
        "aborted": run.aborted,
        "coverage": {**coverage(out_rules, control_plane=has_control, conformant=conformant, aborted=run.aborted,
                                extent=run.pool.extent if run.pool is not None else None),
                     "devices": run.pool.summary() if run.pool is not None else None},
    }
