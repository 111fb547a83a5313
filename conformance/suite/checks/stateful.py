"""Model-based exploration of the lifecycle: a Hypothesis state machine against the live target.

The model is ``conformance.spec.lifecycle`` itself — per campaign its ``CampaignFacts`` and device
set, plus the clock — so after every step it predicts what the target may answer: the exact SIM-04
status, the device list (LIFE-04), and for PUT/DELETE which answers the rules allow. Where the rules
allows several behaviours the model accepts each and follows the one the target took (semantically
invalid POST refused or accepted-then-failed; per-device problems as a whole-request 400 or a failed
item; a cancelled campaign gone (4xx) or terminal). Ambiguous corners the rules leave open are never
generated: devices are never shared between campaigns, the last device is never removed, invalid
campaigns are never changed, and startDate is never in the past.

Failures raise ``Violation`` so that Hypothesis shrinks them; only the minimal example becomes a
finding, with its steps as a numbered list and its requests (world load first) as curl lines.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, assume, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.spec.lifecycle import OPEN, CampaignFacts, Status, expected_status, is_allowed_change
from conformance.spec.world import Device, World, format_instant
from conformance.suite.checks.lifecycle import CANCELLED_OK, TERMINAL_NAMES
from conformance.suite.context import Ctx
from conformance.suite.http import Exchange
from conformance.suite.observe import STATUSES, Campaign, device_ids, error_response, item_statuses
from conformance.suite.registry import check

__all__ = ["Violation", "explore"]

#: Wall-clock cap on shrinking one failure (Hypothesis' own default is five minutes; its engine
#: documents MAX_SHRINKING_SECONDS as the knob to monkeypatch). Generation is bounded by MAX_EXAMPLES.
SHRINK_BUDGET_S = 12
MAX_EXAMPLES = 8
RULES = ("SIM-04", "LIFE-01", "LIFE-02", "LIFE-03", "LIFE-04", "LIFE-06", "PUT-01", "PUT-03", "PUT-04")
STEPS = (timedelta(seconds=1), timedelta(hours=1), timedelta(hours=13), timedelta(days=1),
         timedelta(days=3), timedelta(days=8))
#: Instants relative to a campaign's startDate where the contract's timing changes something.
EDGE_OFFSETS = (timedelta(seconds=-1), timedelta(0), timedelta(days=1, seconds=-1), timedelta(days=1))


_shrink_lock = threading.Lock()
_explorations = 0
_saved = [engine.MAX_SHRINKING_SECONDS]


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


@dataclass
class _Recorder:
    machine: Any = None


def _machine(ctx: Ctx, rec: _Recorder, world: World) -> type[RuleBasedStateMachine]:
    assert ctx.control is not None
    control = ctx.control
    account = ctx.account
    fw = ctx.firmware

    class LifecycleMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            rec.machine = self
            self.log: list[Exchange] = [control.load(world)]
            self.steps: list[str] = []
            self.now = world.now
            self.pool = [d for d in account.devices if d.fits(fw) and d.reachable]
            self.dead = [d for d in account.devices if d.fits(fw) and not d.reachable]
            self.misfit = [d for d in account.devices if not d.fits(fw)]
            self.campaigns: list[_Model] = []

        # --- helpers ---------------------------------------------------------------------------
        def _step(self, text: str, *exchanges: Exchange) -> None:
            self.steps.append(text)
            self.log.extend(exchanges)

        def _take(self, bucket: list[Device], n: int) -> list[Device]:
            taken, bucket[:] = bucket[:n], bucket[n:]
            return taken

        def _pick(self, i: int) -> _Model:
            return self.campaigns[i % len(self.campaigns)]

        def _check_status(self, m: _Model, ex: Exchange) -> None:
            data = ex.data
            status = data.get("status") if isinstance(data, dict) and ex.status == 200 else None
            want = m.predicted(self.now)
            if status is not None and m.last in TERMINAL_NAMES and status != m.last:
                raise Violation("LIFE-02", f"terminal status {m.last} changed", f"status {m.last}", f"status {status}")
            if want is None:  # cancelled: gone, or a terminal status that does not mean it ran
                ok = error_response(ex) if status is None else status in CANCELLED_OK
                if not ok:
                    raise Violation("LIFE-06", "a cancelled campaign is neither gone nor terminal-not-run",
                                    "a 4xx error response or RequestFailed/UpgradeFailed", ex.outcome())
            elif status not in STATUSES:
                rule_id = "LIFE-01" if isinstance(status, str) else "SIM-04"
                raise Violation(rule_id, "GET details gave no documented status", f"status {want.value}",
                                ex.outcome())
            elif status != want:
                early = status in ("InProgress", "Finished") and self.now < m.campaign.start
                bad_edge = m.last is not None and m.last != status and not _allowed(m.last, status)
                rule_id = "LIFE-03" if early else "LIFE-02" if bad_edge else "SIM-04"
                raise Violation(rule_id, f"status at {format_instant(self.now)} is not what the model predicts",
                                f"status {want.value}" + (f" (last seen {m.last})" if m.last else ""),
                                f"status {status}")
            if status is not None:
                m.last = status
            if want is not None and status is not None:
                listed = device_ids(data)
                if listed is None or set(listed) != m.devices:
                    raise Violation("LIFE-04", "GET deviceList differs from the campaign's devices",
                                    f"exactly {sorted(m.devices)}", f"{sorted(listed) if listed else listed}")

        # --- rules -----------------------------------------------------------------------------
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
            body: dict[str, Any] = {"accountName": account.name, "firmwareName": fw.name,
                                    "firmwareTo": fw.to_version, "startDate": start.isoformat(),
                                    "deviceList": [d.imei for d in devices]}
            if with_end:
                body["endDate"] = (start + timedelta(days=2)).isoformat()
            ex = ctx.api.schedule(body, creds=ctx.alpha)
            self._step(f"POST /upgrades: {kind} campaign #{len(self.campaigns)} starting {start}", ex)
            data = ex.data
            if ex.status == 200 and isinstance(data, dict) and isinstance(data.get("id"), str):
                c = Campaign(data["id"], account.name, ctx.alpha, body, ex, [d.imei for d in devices])
                m = _Model(c, CampaignFacts(start, kind != "invalid", True, False), {d.imei for d in devices},
                           {d.imei: d.reachable for d in devices}, last=data.get("status"))
                self.campaigns.append(m)
            elif kind != "invalid":
                raise Violation("POST-01", "a valid schedule request was refused", "200", ex.outcome())
            elif not (ex.status == 400 and error_response(ex)):
                raise Violation("SIM-04", "a semantically invalid request was neither accepted nor refused "
                                "with a 400 error response", "200 or 400", ex.outcome())

        @precondition(lambda self: bool(self.campaigns))
        @rule(i=st.integers(0, 7))
        def observe(self, i: int) -> None:
            m = self._pick(i)
            ex = ctx.api.details(m.campaign.account, m.campaign.id, creds=m.campaign.creds)
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
            ex = control.set_clock(target)
            self._step(f"PUT /__control/clock {format_instant(target)}", ex)
            if ex.status != 200:
                raise Violation("SIM-02", "a forward clock move was refused", "200", ex.outcome())
            self.now = target
            for m in self.campaigns:
                m.facts = replace(m.facts, decided=True)

        @rule()
        def move_back(self) -> None:
            ex = control.set_clock(self.now - timedelta(hours=1))
            self._step(f"PUT /__control/clock {format_instant(self.now - timedelta(hours=1))} (earlier)", ex)
            if not (ex.status == 400 and error_response(ex)):
                raise Violation("SIM-02", "an earlier clock time was not refused", "400 error body", ex.outcome())

        @precondition(lambda self: bool(self.campaigns))
        @rule(i=st.integers(0, 7), n=st.integers(1, 2), duplicate=st.booleans())
        def append(self, i: int, n: int, duplicate: bool) -> None:
            m = self._pick(i)
            assume(m.facts.valid)
            fresh = self._take(self.pool, n)
            assume(fresh)
            dup = sorted(m.devices)[:1] if duplicate else []
            imeis = [d.imei for d in fresh] + dup
            ex = ctx.api.change(m.campaign.account, m.campaign.id, {"type": "append", "deviceList": imeis},
                                creds=m.campaign.creds)
            self._step(f"PUT append {imeis} to campaign #{self.campaigns.index(m)}", ex)
            self._judge_change(m, ex, "append", [d.imei for d in fresh], dup, {d.imei: True for d in fresh})

        @precondition(lambda self: bool(self.campaigns))
        @rule(i=st.integers(0, 7), stranger=st.booleans())
        def remove(self, i: int, stranger: bool) -> None:
            m = self._pick(i)
            assume(m.facts.valid and len(m.devices) >= 2)
            gone = sorted(m.devices)[-1:]
            extra = [d.imei for d in self._take(self.pool, 1)] if stranger else []
            ex = ctx.api.change(m.campaign.account, m.campaign.id, {"type": "remove", "deviceList": gone + extra},
                                creds=m.campaign.creds)
            self._step(f"PUT remove {gone + extra} from campaign #{self.campaigns.index(m)}", ex)
            self._judge_change(m, ex, "remove", gone, extra, {})

        def _judge_change(self, m: _Model, ex: Exchange, kind: str, good: list[str], bad: list[str],
                          reach: dict[str, bool]) -> None:
            status = m.predicted(self.now)
            success = "AddDeviceSucceed" if kind == "append" else "RemoveDeviceSucceed"
            if status is None:
                if not (ex.status is not None and 400 <= ex.status < 500):
                    raise Violation("LIFE-06", f"{kind} on a cancelled campaign was not refused", "4xx",
                                    ex.outcome())
                return
            if status not in OPEN:
                if not (ex.status == 400 and error_response(ex)):
                    raise Violation("PUT-04", f"{kind} on a campaign in {status.value} was not refused",
                                    "400 error response", ex.outcome())
                return
            items = item_statuses(ex)
            if bad and ex.status == 400 and error_response(ex):
                return  # PUT-03: the whole request refused, no effect
            if ex.status != 200 or any(items.get(d) != success for d in good):
                raise Violation("PUT-01", f"{kind} on an open campaign did not succeed for every valid device",
                                f"200 with {success} for {good}", ex.outcome())
            if any(items.get(d) == success for d in bad):
                raise Violation("PUT-03", f"{kind} reported success for a device it could not {kind}",
                                f"a failed item for {bad}", ex.outcome())
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
            ex = ctx.api.cancel(m.campaign.account, m.campaign.id, creds=m.campaign.creds)
            self._step(f"DELETE campaign #{self.campaigns.index(m)}", ex)
            if status is None:
                if not (ex.status is not None and 400 <= ex.status < 500):
                    raise Violation("LIFE-06", "a second DELETE of a cancelled campaign succeeded", "4xx",
                                    ex.outcome())
            elif status in OPEN:
                data = ex.data
                if not (ex.status == 200 and isinstance(data, dict) and data.get("success") is True):
                    raise Violation("LIFE-06", "DELETE of an open campaign failed", '200 {"success": true}',
                                    ex.outcome())
                m.facts = replace(m.facts, cancelled=True)
            elif not (ex.status == 400 and error_response(ex)):
                raise Violation("LIFE-06", f"DELETE of a campaign in {status.value} was not refused",
                                "400 error response", ex.outcome())

    return LifecycleMachine


def _allowed(before: str, after: str) -> bool:
    if before not in STATUSES or after not in STATUSES:
        return False
    return is_allowed_change(Status(before), Status(after))


def explore(ctx: Ctx, *, max_examples: int = MAX_EXAMPLES) -> tuple[Violation, list[str], list[Exchange]] | None:
    """Run the machine; the minimal failing example's violation, steps and requests, or None."""
    rec = _Recorder()
    machine = _machine(ctx, rec, ctx.fresh_world())

    def factory() -> RuleBasedStateMachine:
        return machine()

    factory._hypothesis_internal_use_seed = ctx.settings.seed  # type: ignore[attr-defined]
    config = settings(max_examples=max_examples, stateful_step_count=ctx.settings.stateful_steps, deadline=None,
                      database=None, report_multiple_bugs=False, suppress_health_check=list(HealthCheck),
                      phases=(Phase.generate, Phase.shrink), print_blob=False,
                      # Quiet: the finding carries the minimal sequence; Hypothesis' own prints
                      # (incl. its "five minutes" warning, wrong under our shrink cap) are noise.
                      verbosity=Verbosity.quiet)
    global _explorations
    with _shrink_lock:  # several runs may explore at once (mutation_score --jobs): patch once
        if _explorations == 0:
            _saved[0] = engine.MAX_SHRINKING_SECONDS
            engine.MAX_SHRINKING_SECONDS = SHRINK_BUDGET_S
        _explorations += 1
    try:
        # Its docstring: "anything which returns an instance … a class or a function"; the stub is narrower.
        run_state_machine_as_test(factory, settings=config)  # type: ignore[arg-type]
    except Violation as v:
        m = rec.machine  # the last machine run is Hypothesis' final replay of the minimal example
        return v, list(m.steps), list(m.log)
    finally:
        with _shrink_lock:
            _explorations -= 1
            if _explorations == 0:
                engine.MAX_SHRINKING_SECONDS = _saved[0]
    return None


@check(*RULES, needs_control=True, fresh_world=False)
def lifecycle_model(ctx: Ctx) -> None:
    """Random sequences of schedule/append/remove/cancel/GET/clock moves, judged by the lifecycle model."""
    found = explore(ctx)
    ctx.exercised(*RULES)
    if found is None:
        return
    v, steps, log = found
    numbered = "; ".join(f"{n}. {s}" for n, s in enumerate(steps, 1))
    ctx.fail(v.rule_id, f"model-based exploration (seed {ctx.settings.seed}), minimal sequence of "
             f"{len(steps)} steps: {v.title}", expected=v.expected, actual=f"{v.actual} — after: {numbered}",
             exchanges=log)

