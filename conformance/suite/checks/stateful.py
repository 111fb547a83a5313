"""Model-based exploration of the lifecycle: a Hypothesis state machine against the live target.

``LifecycleMachine`` is a module-level ``RuleBasedStateMachine`` (as schemathesis' ``APIStateMachine``):
``explore`` binds it to one check's context by subclassing, seeds it with ``hypothesis.seed`` and
runs it with ``run_state_machine_as_test`` — Hypothesis' public API only. Its model is
``conformance.spec.lifecycle`` itself — per campaign its ``CampaignFacts`` and device set, plus the
clock — so after every step it predicts what the target may answer: the exact SIM-04 status, the
device list (LIFE-04), and for PUT/DELETE which answers the rules allow. Where the rules allow
several behaviours the model accepts each and follows the one the target took (semantically invalid
POST refused or accepted-then-failed; per-device problems as a whole-request 400 or a failed item; a
cancelled campaign gone (4xx) or terminal). Ambiguous corners the rules leave open are never
generated: devices are never shared between campaigns, the last device is never removed, invalid
campaigns are never changed, and startDate is never in the past. Every request goes through
``ctx.calls``, so every answer is judged for WIRE-01/02 too; a rule counts as exercised only when
a step sent a request that could break it and judged the answer.

Failures raise ``Violation`` so that Hypothesis shrinks them; only the minimal example becomes a
finding, with its steps as a numbered list and its requests (world load first) as curl lines.

Same seed, same run: generation is seeded, and shrinking is bounded by *work* — at most
``SHRINK_RUNS`` machine runs after the first failure, later ones rejected before they send anything
— never by wall-clock time, so a loaded machine shrinks to the same minimal sequence as an idle one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, NoReturn

from hypothesis import HealthCheck, Phase, Verbosity, assume, reject, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.spec.lifecycle import OPEN, STATUSES, CampaignFacts, Status, expected_status, is_allowed_change
from conformance.spec.world import Device, World, format_instant
from conformance.suite.checks import HYPOTHESIS_LOCK
from conformance.suite.checks.lifecycle import CANCELLED_OK, TERMINAL_NAMES
from conformance.suite.context import Ctx
from conformance.suite.http import Exchange
from conformance.suite.oracle import device_ids, error_problem, item_statuses
from conformance.suite.registry import check
from conformance.suite.toolkit import Campaign

__all__ = ["LifecycleMachine", "Violation", "explore"]

MAX_EXAMPLES = 8
#: Machine runs Hypothesis may spend shrinking one failure (a work bound, so the result does not
#: depend on machine load). Each run replays a candidate sequence of at most ``stateful_steps`` steps.
SHRINK_RUNS = 300
RULES = ("SIM-04", "LIFE-01", "LIFE-02", "LIFE-03", "LIFE-04", "LIFE-06", "PUT-01", "PUT-02", "PUT-03", "PUT-04")
STEPS = (timedelta(seconds=1), timedelta(hours=1), timedelta(hours=13), timedelta(days=1),
         timedelta(days=3), timedelta(days=8))
#: Instants relative to a campaign's startDate where the contract's timing changes something.
EDGE_OFFSETS = (timedelta(seconds=-1), timedelta(0), timedelta(days=1, seconds=-1), timedelta(days=1))


class Violation(AssertionError):
    """The target's answer is outside everything the rules allow for the model's state."""

    def __init__(self, rule_id: str, title: str, expected: str, actual: str) -> None:
        super().__init__(f"{rule_id}: {title}: expected {expected}; got {actual}")
        self.rule_id, self.title, self.expected, self.actual = rule_id, title, expected, actual


@dataclass
class _Model:
    campaign: Campaign
    facts: CampaignFacts
    devices: set[str]
    reachable: dict[str, bool]
    last: str | None = None

    def predicted(self, now: datetime) -> Status | None:
        facts = replace(self.facts, any_reachable=any(self.reachable[d] for d in self.devices))
        return expected_status(facts, now)


Found = tuple[Violation, list[str], list[Exchange]]


@dataclass
class _Recorder:
    """Counts machine runs and keeps the smallest failing run of the first failure's rule."""

    shrink_runs: int
    runs_after_failure: int = 0
    rule_id: str | None = None
    best: Found | None = field(default=None)

    def starting(self) -> None:
        if self.rule_id is None:
            return
        if self.runs_after_failure >= self.shrink_runs:
            reject()  # the work budget is spent: refuse the candidate before it sends anything
        self.runs_after_failure += 1

    def failed(self, v: Violation, steps: list[str], log: list[Exchange]) -> None:
        self.rule_id = self.rule_id or v.rule_id
        # Ties go to the later run: the shrinker only moves towards simpler sequences.
        if v.rule_id == self.rule_id and (self.best is None or len(steps) <= len(self.best[1])):
            self.best = (v, list(steps), list(log))


class LifecycleMachine(RuleBasedStateMachine):
    """Random sequences of schedule/append/remove/cancel/GET/clock moves against the live target,
    each answer judged by the lifecycle model. Bound to a check by ``explore`` (a subclass setting
    ``ctx``, ``world`` and ``recorder``)."""

    ctx: ClassVar[Ctx]
    world: ClassVar[World]
    recorder: ClassVar[_Recorder]

    def __init__(self) -> None:
        super().__init__()
        self.recorder.starting()
        ctx = self.ctx
        assert ctx.control is not None
        self.control = ctx.control
        self.calls = ctx.calls
        account, fw = ctx.account, ctx.firmware
        self.account, self.fw = account, fw
        self.log: list[Exchange] = [self.control.load(self.world)]
        self.calls.ids.clear()  # the world load may restart the target's id sequence (POST-02)
        self.steps: list[str] = []
        self.now = self.world.now
        self.pool = [d for d in account.devices if d.fits(fw) and d.reachable]
        self.dead = [d for d in account.devices if d.fits(fw) and not d.reachable]
        self.misfit = [d for d in account.devices if not d.fits(fw)]
        self.campaigns: list[_Model] = []

    # --- helpers -------------------------------------------------------------------------------
    def _step(self, text: str, *exchanges: Exchange) -> None:
        self.steps.append(text)
        self.log.extend(exchanges)

    def _fail(self, rule_id: str, title: str, expected: str, actual: str) -> NoReturn:
        v = Violation(rule_id, title, expected, actual)
        self.recorder.failed(v, self.steps, self.log)
        raise v

    def _require(self, rule_id: str, ok: bool, title: str, expected: str, actual: str) -> None:
        """The answer just judged could break ``rule_id``: it is exercised, and violated unless ``ok``."""
        self.ctx.exercised(rule_id)
        if not ok:
            self._fail(rule_id, title, expected, actual)

    def _take(self, bucket: list[Device], n: int) -> list[Device]:
        taken, bucket[:] = bucket[:n], bucket[n:]
        return taken

    def _pick(self, i: int) -> _Model:
        return self.campaigns[i % len(self.campaigns)]

    def _check_status(self, m: _Model, ex: Exchange) -> None:
        data = ex.data
        status = data.get("status") if isinstance(data, dict) and ex.status == 200 else None
        want = m.predicted(self.now)
        if status is not None and m.last in TERMINAL_NAMES:
            self._require("LIFE-02", status == m.last, f"terminal status {m.last} changed", f"status {m.last}",
                          f"status {status}")
        if want is None:  # cancelled: gone, or a terminal status that does not mean it ran
            ok = error_problem(ex) is None if status is None else status in CANCELLED_OK
            self._require("LIFE-06", ok, "a cancelled campaign is neither gone nor terminal-not-run",
                          "a 4xx error response or RequestFailed/UpgradeFailed", ex.outcome())
        elif status not in STATUSES:
            rule_id = "LIFE-01" if isinstance(status, str) else "SIM-04"
            self._require(rule_id, False, "GET details gave no documented status", f"status {want.value}",
                          ex.outcome())
        else:
            self.ctx.exercised("LIFE-01", "SIM-04")
            early = status in ("InProgress", "Finished") and self.now < m.campaign.start
            if self.now < m.campaign.start:
                self._require("LIFE-03", not early, f"status at {format_instant(self.now)} is not what the "
                              "model predicts", f"status {want.value}", f"status {status}")
            if m.last is not None and m.last != status:
                self._require("LIFE-02", _allowed(m.last, status), f"status at {format_instant(self.now)} is "
                              "not what the model predicts", f"status {want.value} (last seen {m.last})",
                              f"status {status}")
            if status != want:
                self._fail("SIM-04", f"status at {format_instant(self.now)} is not what the model predicts",
                           f"status {want.value}" + (f" (last seen {m.last})" if m.last else ""), f"status {status}")
        if status is not None:
            m.last = status
        if want is not None and status is not None:
            listed = device_ids(ex)
            self._require("LIFE-04", listed is not None and set(listed) == m.devices,
                          "GET deviceList differs from the campaign's devices", f"exactly {sorted(m.devices)}",
                          f"{sorted(listed) if listed else listed}")

    # --- rules ---------------------------------------------------------------------------------
    @rule(days=st.integers(0, 4), kind=st.sampled_from(["reachable", "reachable", "unreachable", "mixed",
                                                         "invalid"]),
          with_end=st.booleans())
    def schedule(self, days: int, kind: str, with_end: bool) -> None:
        start = self.now.date() + timedelta(days=days)
        picked = {"reachable": (2, 0, 0), "unreachable": (0, 1, 0), "mixed": (1, 1, 0),
                  "invalid": (1, 0, 1)}[kind]
        devices = [*self._take(self.pool, picked[0]), *self._take(self.dead, picked[1]),
                   *self._take(self.misfit, picked[2])]
        assume(len(devices) == sum(picked))
        body: dict[str, Any] = {"accountName": self.account.name, "firmwareName": self.fw.name,
                                "firmwareTo": self.fw.to_version, "startDate": start.isoformat(),
                                "deviceList": [d.imei for d in devices]}
        if with_end:
            body["endDate"] = (start + timedelta(days=2)).isoformat()
        ex, c = self.calls.submit(body)
        self._step(f"POST /upgrades: {kind} campaign #{len(self.campaigns)} starting {start}", ex)
        if c is not None:
            last = ex.data.get("status")
            self.campaigns.append(_Model(c, CampaignFacts(start, kind != "invalid", True, False),
                                         {d.imei for d in devices}, {d.imei: d.reachable for d in devices},
                                         last=last if isinstance(last, str) else None))
            return
        if kind != "invalid":
            self._require("POST-01", False, "a valid schedule request was refused", "200", ex.outcome())
        self._require("SIM-04", error_problem(ex, {400}) is None, "a semantically invalid request was neither "
                      "accepted nor refused with a 400 error response", "200 or 400", ex.outcome())

    @precondition(lambda self: bool(self.campaigns))
    @rule(i=st.integers(0, 7))
    def observe(self, i: int) -> None:
        m = self._pick(i)
        ex = self.calls.details(m.campaign.account, m.campaign.id, creds=m.campaign.cred)
        self._step(f"GET campaign #{self.campaigns.index(m)}", ex)
        self._check_status(m, ex)

    @rule(step=st.sampled_from(STEPS))
    def move(self, step: timedelta) -> None:
        self._move_to(self.now + step)

    @precondition(lambda self: bool(self.campaigns))
    @rule(i=st.integers(0, 7), offset=st.sampled_from(EDGE_OFFSETS))
    def move_to_edge(self, i: int, offset: timedelta) -> None:
        target = self._pick(i).campaign.start + offset
        assume(target > self.now)
        self._move_to(target)

    def _move_to(self, target: datetime) -> None:
        ex = self.control.set_clock(target)
        self._step(f"PUT /__control/clock {format_instant(target)}", ex)
        self._require("SIM-02", ex.status == 200, "a forward clock move was refused", "200", ex.outcome())
        self.now = target
        for m in self.campaigns:
            m.facts = replace(m.facts, decided=True)

    @rule()
    def move_back(self) -> None:
        earlier = self.now - timedelta(hours=1)
        ex = self.control.set_clock(earlier)
        self._step(f"PUT /__control/clock {format_instant(earlier)} (earlier)", ex)
        self._require("SIM-02", error_problem(ex, {400}) is None, "an earlier clock time was not refused",
                      "400 error body", ex.outcome())

    @precondition(lambda self: bool(self.campaigns))
    @rule(i=st.integers(0, 7), n=st.integers(1, 2), duplicate=st.booleans())
    def append(self, i: int, n: int, duplicate: bool) -> None:
        m = self._pick(i)
        assume(m.facts.valid)
        fresh = self._take(self.pool, n)
        assume(fresh)
        dup = sorted(m.devices)[:1] if duplicate else []
        imeis = [d.imei for d in fresh] + dup
        ex = self.calls.change(m.campaign.account, m.campaign.id, {"type": "append", "deviceList": imeis},
                               creds=m.campaign.cred)
        self._step(f"PUT append {imeis} to campaign #{self.campaigns.index(m)}", ex)
        self._judge_change(m, ex, "append", [d.imei for d in fresh], dup, {d.imei: True for d in fresh})

    @precondition(lambda self: bool(self.campaigns))
    @rule(i=st.integers(0, 7), stranger=st.booleans())
    def remove(self, i: int, stranger: bool) -> None:
        m = self._pick(i)
        assume(m.facts.valid and len(m.devices) >= 2)
        gone = sorted(m.devices)[-1:]
        extra = [d.imei for d in self._take(self.pool, 1)] if stranger else []
        ex = self.calls.change(m.campaign.account, m.campaign.id, {"type": "remove", "deviceList": gone + extra},
                               creds=m.campaign.cred)
        self._step(f"PUT remove {gone + extra} from campaign #{self.campaigns.index(m)}", ex)
        self._judge_change(m, ex, "remove", gone, extra, {})

    def _judge_change(self, m: _Model, ex: Exchange, kind: str, good: list[str], bad: list[str],
                      reach: dict[str, bool]) -> None:
        status = m.predicted(self.now)
        success = "AddDeviceSucceed" if kind == "append" else "RemoveDeviceSucceed"
        if status is None:
            self._require("LIFE-06", ex.status is not None and 400 <= ex.status < 500,
                          f"{kind} on a cancelled campaign was not refused", "4xx", ex.outcome())
            return
        if status not in OPEN:
            self._require("PUT-04", error_problem(ex, {400}) is None,
                          f"{kind} on a campaign in {status.value} was not refused", "400 error response",
                          ex.outcome())
            return
        items = item_statuses(ex)
        if bad:
            self.ctx.exercised("PUT-03")
            if error_problem(ex, {400}) is None:
                return  # PUT-03: the whole request refused, no effect
        self._require("PUT-01" if kind == "append" else "PUT-02",
                      ex.status == 200 and all(items.get(d) == success for d in good),
                      f"{kind} on an open campaign did not succeed for every valid device",
                      f"200 with {success} for {good}", ex.outcome())
        if bad:
            self._require("PUT-03", not any(items.get(d) == success for d in bad),
                          f"{kind} reported success for a device it could not {kind}", f"a failed item for {bad}",
                          ex.outcome())
        if kind == "append":
            m.devices |= set(good)
            m.reachable.update(reach)
        else:
            m.devices -= set(good)

    @precondition(lambda self: bool(self.campaigns))
    @rule(i=st.integers(0, 7))
    def cancel(self, i: int) -> None:
        m = self._pick(i)
        status = m.predicted(self.now)
        ex = self.calls.cancel(m.campaign.account, m.campaign.id, creds=m.campaign.cred)
        self._step(f"DELETE campaign #{self.campaigns.index(m)}", ex)
        if status is None:
            self._require("LIFE-06", ex.status is not None and 400 <= ex.status < 500,
                          "a second DELETE of a cancelled campaign succeeded", "4xx", ex.outcome())
        elif status in OPEN:
            data = ex.data
            self._require("LIFE-06", ex.status == 200 and isinstance(data, dict) and data.get("success") is True,
                          "DELETE of an open campaign failed", '200 {"success": true}', ex.outcome())
            m.facts = replace(m.facts, cancelled=True)
        else:
            self._require("LIFE-06", error_problem(ex, {400}) is None,
                          f"DELETE of a campaign in {status.value} was not refused", "400 error response",
                          ex.outcome())


def _allowed(before: str, after: str) -> bool:
    if before not in STATUSES or after not in STATUSES:
        return False
    return is_allowed_change(Status(before), Status(after))


def explore(ctx: Ctx, *, max_examples: int = MAX_EXAMPLES, shrink_runs: int = SHRINK_RUNS) -> Found | None:
    """Run the machine; the minimal failing example's violation, steps and requests, or None."""
    rec = _Recorder(shrink_runs)
    world = ctx.fresh_world()
    bound: type[LifecycleMachine] = type("LifecycleMachine", (LifecycleMachine,),
                                         {"ctx": ctx, "world": world, "recorder": rec})
    config = settings(max_examples=max_examples, stateful_step_count=ctx.settings.stateful_steps, deadline=None,
                      database=None, report_multiple_bugs=False, suppress_health_check=list(HealthCheck),
                      phases=(Phase.generate, Phase.shrink), print_blob=False,
                      # Quiet: the finding carries the minimal sequence; Hypothesis' own prints are noise.
                      verbosity=Verbosity.quiet)
    try:
        with HYPOTHESIS_LOCK:
            run_state_machine_as_test(seed(ctx.settings.seed)(bound), settings=config)
    except Exception:
        # The minimal failure (re-raised by Hypothesis' final replay), or, once the shrink budget
        # is spent, Hypothesis' complaint that the replay was rejected: either way our recorder
        # holds the smallest failing run. Anything else without a recorded failure is a bug.
        if rec.best is None:
            raise
    return rec.best


@check(*RULES, needs_control=True, fresh_world=False)
def lifecycle_model(ctx: Ctx) -> None:
    """Random sequences of schedule/append/remove/cancel/GET/clock moves, judged by the lifecycle model."""
    found = explore(ctx)
    if found is None:
        return
    v, steps, log = found
    numbered = "; ".join(f"{n}. {s}" for n, s in enumerate(steps, 1))
    ctx.fail(v.rule_id, f"model-based exploration (seed {ctx.settings.seed}), minimal sequence of "
             f"{len(steps)} steps: {v.title}", expected=v.expected, actual=f"{v.actual} — after: {numbered}",
             exchanges=log)
