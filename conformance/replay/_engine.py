"""Replaying recordings against a target: send each recorded request in order, compare each answer.

Through the control plane when the target has one: the recorded world is loaded again (with fresh
tokens of our own: a recording holds none) and every recorded clock move is replayed, so a faithful
target answers exactly as recorded. Without one, ``--world`` says what the target holds: recorded
accounts, firmware and devices map to it by role, dates move into the future, clock moves are
skipped with the reason (campaign statuses after one are then only compared for lying on one
allowed path), and the safety rails of a black-box run hold: only the world's account and devices,
at most ``max_campaigns`` campaigns, every created campaign cancelled at the end (also on Ctrl-C).

Every difference is a finding of the rule ``_compare.attribute`` names, collected in the suite's
``Results``, so the report has the shape of ``run``'s and every renderer reads it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from conformance.cassettes import PLACEHOLDER, Interaction, RecordedCassette
from conformance.replay._compare import (
    ITEM,
    Difference,
    Op,
    Story,
    branch_of,
    classify,
    compare,
    evidence,
    refusal,
)
from conformance.replay._report import build_report
from conformance.replay._roles import (
    FILTERED,
    Vocabulary,
    accepted_devices,
    clock_of,
    day_shift,
    fresh_tokens,
    recorded_instant,
    recorded_world,
    unfilter,
    world_roles,
)
from conformance.replay._safety import cleanup, unsafe
from conformance.spec.rules import RULES, Level
from conformance.spec.world import Credential, World, format_instant, parse_instant
from conformance.suite.context import ControlPlane, Ledger, suite_world
from conformance.suite.http import Client, Exchange, TargetUnreachable
from conformance.suite.results import Results
from conformance.suite.runner import ConfigError, RunAborted, validate_base_url

__all__ = ["ReplaySettings", "replay"]

CHECK: Final = "replay"
#: Headers of the recording that belong to its connection, not to the request.
_HOP: Final = frozenset({"host", "content-length", "connection", "accept-encoding", "user-agent",
                         "x-schemathesis-testcaseid", "authorization", "vz-m2m-token", "proxy-authorization"})
_CANONICAL: Final = {"accept": "Accept", "content-type": "Content-Type"}

#: (name, index, total, "start" | "end"), like the runner's progress callback.
Progress = Callable[[str, int, int, str], None]


@dataclass(frozen=True, slots=True)
class ReplaySettings:
    timeout: float = 10.0
    #: Without a control plane: create at most this many campaigns (all cancelled at the end) …
    max_campaigns: int = 20
    #: … each starting at least this many days after the target's today.
    min_lead_days: int = 30


@dataclass
class _Target:
    client: Client
    has_control: bool
    results: Results
    settings: ReplaySettings
    world: World | None
    ledger: Ledger
    entries: list[dict[str, Any]] = field(default_factory=list)
    edges: dict[tuple[str, str], int] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)

    def created_ids(self) -> set[str]:
        return {upgrade_id for _account, upgrade_id, _cred in self.ledger.created}


def replay(cassettes: list[RecordedCassette], base_url: str, *, world: World | None = None,
           settings: ReplaySettings | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Replay every cassette, in order, against ``base_url``; the report is shaped like ``run_suite``'s.

    Raises ConfigError (no ``world`` for a target without a control plane, a bad URL) and RunAborted
    (the target does not answer). On KeyboardInterrupt, campaigns created on a black-box target are
    cancelled before the interrupt propagates.
    """
    settings = settings or ReplaySettings()
    base_url = validate_base_url(base_url)
    started = time.monotonic()
    secrets = {s for c in (world.credentials if world else ()) for s in (c.bearer, c.m2m)}
    client = Client(base_url, timeout=settings.timeout, secrets=secrets)
    try:
        probe = client.send("GET", "/__control/clock", content_type=None)
        if probe.status is None:
            raise RunAborted(f"cannot reach {base_url}: {' '.join((probe.error or 'no answer').split())}")
        has_control = ControlPlane.answers_probe(probe)
        if not has_control and world is None:
            raise ConfigError("the target has no control plane (GET /__control/clock): pass --world FILE "
                              "describing the account, firmware, devices and tokens it already holds")
        target = _Target(client, has_control, Results(secrets=secrets), settings, world,
                         Ledger(cap=None if has_control else settings.max_campaigns), secrets=set(secrets))
        try:
            for cassette in cassettes:
                _Replay(target, cassette, progress).run()
        except TargetUnreachable as exc:
            raise RunAborted(" ".join(str(exc).split())) from None
        finally:
            if not has_control:
                cleanup(target.client, target.ledger, target.cancelled)
        return build_report(target, base_url, cassettes, time.monotonic() - started)
    finally:
        client.close()


class _Replay:
    """One cassette against the target."""

    def __init__(self, target: _Target, cassette: RecordedCassette, progress: Progress | None) -> None:
        self.t = target
        self.cassette = cassette
        self.progress = progress
        self.story = Story.of(ix.exchange() for ix in cassette.interactions)
        self.vocab = Vocabulary()
        self.name = cassette.path.name
        ops = [(ix, classify(ix.method, ix.url)) for ix in cassette.interactions]
        self.ops = ops
        world_ix = next((ix for ix, op in ops if op.template == "/__control/world" and ix.method == "PUT"), None)
        self.recorded = recorded_world(world_ix.request_body) if world_ix is not None else None
        self.world = self._target_world()
        #: Where the recording moved the clock and this replay could not (black-box).
        self.clock_skipped: int | None = None
        self.world_loaded = False
        #: Recorded ids first seen in a recorded answer, and where: a later request naming one
        #: depends on the target having issued its counterpart.
        self.issued_at: dict[str, int] = {}
        for ix, _op in ops:
            data = ix.exchange().data if ix.method == "POST" and ix.status == 200 else None
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                self.issued_at.setdefault(data["id"], ix.index)
        self.target_status: dict[str, str] = {}
        self._roles(ops)

    # --- setting up the vocabulary -----------------------------------------------------------------
    def _target_world(self) -> World:
        if not self.t.has_control:
            assert self.t.world is not None
            return self.t.world
        base = self.recorded or self.t.world or suite_world()
        if self.recorded is None and (now := recorded_instant(self.cassette)) is not None:
            # No recorded world, but the recording's clock is known: dates keep their meaning.
            base = replace(base, now=now)
        world = fresh_tokens(base)
        self._secret(*(s for c in world.credentials for s in (c.bearer, c.m2m)))
        return world

    def _roles(self, ops: list[tuple[Interaction, Op]]) -> None:
        accounts: list[str] = []
        firmware: list[str] = []
        devices: list[str] = []
        starts: list[date] = []
        clock_moves: list[datetime] = []
        # Devices of campaigns the recording shows RequestFailed were refused after all (POST-04).
        failed: set[str] = set()
        for ix, _op in ops:
            answer = ix.exchange().data if ix.method == "GET" and ix.status == 200 else None
            if isinstance(answer, dict) and answer.get("status") == "RequestFailed":
                failed |= {str(i.get("deviceId")) for i in answer.get("deviceList") or [] if isinstance(i, dict)}
        for ix, op in ops:
            data = ix.request_data
            if op.template == "/__control/clock" and isinstance(data, dict):
                with suppress(ValueError):
                    clock_moves.append(parse_instant(data.get("now")))
            # Only what the recording shows accepted maps by role: a fuzzer's random account or IMEI
            # that was refused must stay unknown on the target too.
            if op.kind != "api" or ix.status != 200:
                continue
            if op.account:
                accounts.append(op.account)
            if isinstance(data, dict):
                if isinstance(data.get("accountName"), str):
                    accounts.append(data["accountName"])
                answer = ix.exchange().data
                # A firmware the target knew: the answer names its toVersion (an unknown one is
                # accepted and failed later, POST-04, with no firmwareTo to show).
                known = isinstance(answer, dict) and answer.get("firmwareTo")
                if isinstance(data.get("firmwareName"), str) and known:
                    firmware.append(data["firmwareName"])
                # Devices the recording shows accepted: a POST's, and a PUT's successful items only
                # (an append of an unknown IMEI answers 200 with a failed item; it must stay unknown).
                accepted = accepted_devices(ix) - failed
                for key in ("deviceList", "devicelist"):
                    if isinstance(data.get(key), list):
                        devices += [d for d in data[key] if isinstance(d, str) and d in accepted]
                if ix.method == "POST" and isinstance(data.get("startDate"), str):
                    with suppress(ValueError):
                        starts.append(date.fromisoformat(data["startDate"]))
        world_roles(self.vocab, self.recorded, self.world, accounts, firmware, devices)
        instant = recorded_instant(self.cassette)
        recorded_today = clock_of(self.recorded, clock_moves) or (instant.date() if instant else None)
        if self.t.has_control:
            target_today = self.world.today
            lead = 0
        else:
            target_today = datetime.now(UTC).date()
            lead = self.t.settings.min_lead_days
        self.vocab.day_shift = day_shift(recorded_today, min(starts, default=None), target_today,
                                         min_lead_days=lead)
        self.clock_offset = (self.world.now - self.recorded.now) if self.recorded is not None else timedelta(0)
        if not self.t.has_control:
            self.story.world, self.story.today = self.world, target_today

    # --- the conversation ---------------------------------------------------------------------------
    def run(self) -> None:
        total = len(self.ops)
        if self.t.has_control and not any(op.template == "/__control/world" and ix.method == "PUT"
                                           for ix, op in self.ops):
            # A recording without a world load (schemathesis, a black-box run): start from a known state.
            self._load_world()
        for i, (ix, op) in enumerate(self.ops):
            label = f"{ix.method} {op.template}"
            if self.progress:
                self.progress(f"{self.name} #{ix.index} {label}", i, total, "start")
            if op.kind == "control":
                self._control(ix, op)
            elif op.kind == "api":
                self._api(ix, op)
            else:
                self._skip(ix, op, None, "not an operation of openapi.yaml or the control plane")
            if self.progress:
                self.progress(f"{self.name} #{ix.index} {label}", i, total, "end")

    def _entry(self, ix: Interaction, op: Op, rule: str | None, outcome: str, *, target: Exchange | None = None,
               differences: list[Difference] | None = None, reason: str | None = None) -> None:
        entry: dict[str, Any] = {"cassette": self.name, "index": ix.index, "request": f"{ix.method} {op.template}",
                                 "rule": rule, "outcome": outcome, "recorded": ix.status,
                                 "target": target.status if target is not None else None,
                                 "differences": [d.to_json() for d in differences or []]}
        if reason:
            entry["reason"] = reason
        self.t.entries.append(entry)

    def _skip(self, ix: Interaction, op: Op, rule: str | None, reason: str) -> None:
        self._entry(ix, op, rule, "skipped", reason=reason)
        if rule is not None:
            self.t.results.skip(rule, f"{self.name} #{ix.index}: {reason}")

    def _recorded_load(self, ix: Interaction) -> None:
        """A recording may load several worlds (``run`` loads one per check): load each as recorded,
        with this replay's tokens in place of the filtered ones (same credential, same token)."""
        recorded = recorded_world(ix.request_body)
        if recorded is None or self.recorded is None:
            return
        mine = list(self.world.credentials)
        creds = []
        for i, c in enumerate(recorded.credentials):
            if i >= len(mine):
                mine.append(fresh_tokens(World(now=recorded.now, credentials=(c,))).credentials[0])
                self._secret(mine[i].bearer, mine[i].m2m)
            creds.append(Credential(bearer=mine[i].bearer, m2m=mine[i].m2m,
                                    accounts=tuple(self.vocab.map_str(a) for a in c.accounts)))
        self.world = replace(recorded, now=recorded.now + self.clock_offset, credentials=tuple(creds))

    def _secret(self, *tokens: str) -> None:
        self.t.secrets.update(tokens)
        self.t.client.secrets.update(tokens)
        self.t.results.add_secrets(tokens)

    def _load_world(self) -> Exchange:
        ex = self.t.client.send("PUT", "/__control/world", json=self.world.to_json())
        if ex.status is None or not 200 <= ex.status < 300:
            raise RunAborted(f"the target's control plane refused the recorded world: {ex.outcome()}")
        self.world_loaded = True
        # A world load replaces all state (SIM-01); requests are classified against this world.
        self.story.campaigns.clear()
        self.story.world, self.story.today = self.world, self.world.today
        return ex

    def _control(self, ix: Interaction, op: Op) -> None:
        rule = "SIM-01" if op.template == "/__control/world" else "SIM-02"
        if not self.t.has_control:
            if op.template == "/__control/clock" and ix.method == "PUT" and self.clock_skipped is None:
                self.clock_skipped = ix.index
                for r in ("LIFE-02", "LIFE-03", "LIFE-05", "PUT-04", "SIM-02", "SIM-04"):
                    self.t.results.skip(r, f"{self.name}: the recording moved the clock at #{ix.index}; the target "
                                           "has no control plane, so statuses after it are only compared for "
                                           "lying on one allowed path")
            self._skip(ix, op, None, "the target has no control plane: "
                       + ("its world is --world" if op.template == "/__control/world" else "its clock cannot be moved"))
            return
        if op.template == "/__control/world":
            if ix.method != "PUT":
                self._skip(ix, op, None, "not a control-plane call of the contract")
                return
            self._recorded_load(ix)
            ex = self._load_world()
            self._entry(ix, op, None, "same", target=ex)
            return
        if ix.method == "GET":
            ex = self.t.client.send("GET", "/__control/clock", content_type=None)
            self._entry(ix, op, None, "same" if ex.status == 200 else "different", target=ex)
            return
        data = ix.request_data
        try:
            now = parse_instant(data.get("now") if isinstance(data, dict) else None) + self.clock_offset
        except ValueError:
            self._skip(ix, op, None, "the recorded clock move has no readable 'now'")
            return
        ex = self.t.client.send("PUT", "/__control/clock", json={"now": format_instant(now)})
        if ex.status == 200:
            self.story.today = now.date()
        self.t.results.exercised(rule, CHECK)
        if (ex.status == 200) != (ix.status == 200):
            d = Difference(rule, "status", "clock move", str(ix.status), ex.outcome(), where=f"{self.name} #{ix.index}")
            self._finding(d, ex)
            self._entry(ix, op, rule, "different", target=ex, differences=[d])
        else:
            self._entry(ix, op, rule, "same", target=ex)

    # --- API operations -------------------------------------------------------------------------------
    def _api(self, ix: Interaction, op: Op) -> None:
        old_ex = ix.exchange()
        if op.upgrade_id is not None and op.upgrade_id in self.issued_at and op.upgrade_id not in self.vocab.values:
            self._skip(ix, op, None, f"names the campaign created at #{self.issued_at[op.upgrade_id]}, which the "
                                     "target did not create")
            return
        body = self._body(ix)
        data = self.vocab.map_json(ix.request_data)  # what the request names, in the target's vocabulary
        path = "/upgrades"
        if op.template == ITEM:
            path = f"/upgrades/{self.vocab.map_str(op.account or '')}/upgrade/{self.vocab.map_str(op.upgrade_id or '')}"
        why = None if self.t.has_control else unsafe(self.world, self.vocab, op, ix.method, data, self.t.created_ids())
        if why is not None:
            self._skip(ix, op, None, why)
            return
        cred = self._credential(ix, op, data)
        headers = self._headers(ix, cred)
        cap = self.t.ledger.cap
        if ix.method == "POST" and cap is not None and len(self.t.ledger.created) >= cap:
            self._skip(ix, op, "POST-01", f"the cap of {cap} created campaigns is reached (--max-campaigns)")
            return
        content = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        ex = self.t.client.send(ix.method, path, content=content, headers=headers, content_type=None)
        self._learn(ix, op, ex)
        old = self._mapped(old_ex, ex)
        exact = self.t.has_control and self.clock_skipped is None
        rule, diffs = compare(ix.method, op, old, ex, self.story, exact_status=exact)
        if any(d.allowed for d in diffs):
            self.story.diverge(op.upgrade_id, f"#{ix.index}")
        if not exact and diffs and self._time_dependent(ix, op):
            self._entry(ix, op, rule, "skipped", target=ex, differences=diffs,
                        reason="the answer depends on the target's clock, which the replay could not move")
            self.story.observe(ix.method, op, old_ex)
            return
        where = f"{self.name} #{ix.index} {ix.method} {op.template}"
        diffs = [replace(d, where=where) for d in diffs]
        self._record(rule, ix.method, old, ex, diffs)
        outcome = "same" if not diffs else "allowed branch" if all(d.allowed or d.rule is None for d in diffs) \
            else "different"
        self._entry(ix, op, rule, outcome, target=ex, differences=diffs)
        self.story.observe(ix.method, op, old_ex)
        self._track(ix, op, ex, cred)

    def _time_dependent(self, ix: Interaction, op: Op) -> bool:
        """After a skipped clock move, an answer about an existing campaign may differ only in time."""
        return self.clock_skipped is not None and op.upgrade_id is not None and ix.method in ("PUT", "DELETE", "GET")

    def _body(self, ix: Interaction) -> Any:
        """The request body in the target's vocabulary; the recorded bytes themselves when nothing
        maps (a probe's odd JSON, like 1e999999 or duplicate keys, must reach the target unchanged)."""
        data = ix.request_data
        if isinstance(data, dict | list):
            mapped = self.vocab.map_json(data)
            if mapped != data:
                return mapped
        return ix.request_body or None

    def _headers(self, ix: Interaction, cred: Credential) -> dict[str, str]:
        # Canonical names: the client sends its own Accept, and a second "accept" would be a second header.
        out = {_CANONICAL.get(k.lower(), k): v for k, v in ix.request_headers.items() if k.lower() not in _HOP}
        recorded = {k.lower(): v for k, v in ix.request_headers.items()}
        if "authorization" in recorded:
            value = recorded["authorization"]
            if value in FILTERED:  # schemathesis keeps no scheme word: the API's own is Bearer
                value = f"Bearer {PLACEHOLDER}"
            scheme, sep, rest = value.partition(" ")
            if sep and scheme in FILTERED:
                # The scheme word itself was masked (older recordings learned "Bearer" as a token
                # from a probe that sent it alone): the API's only scheme is Bearer.
                value = f"Bearer {rest}"
            out["Authorization"] = unfilter(value, cred.bearer)
        if "vz-m2m-token" in recorded:
            out["VZ-M2M-Token"] = unfilter(recorded["vz-m2m-token"], cred.m2m)
        return out

    def _credential(self, ix: Interaction, op: Op, body: Any) -> Credential:
        """Which tokens stand in for the filtered ones: the account owner's, unless the recorded
        answer says they were refused: 401 (fresh tokens nobody knows), a 400 that names the token
        (AUTH-03: the owner's bearer with an unknown VZ-M2M-Token), 403 or a 4xx that names the
        account (AUTH-04: another account's credentials)."""
        account = self.vocab.map_str(op.account) if op.account else None
        if account is None and isinstance(body, dict) and isinstance(body.get("accountName"), str):
            account = body["accountName"]
        creds = self.world.credentials
        owner = next((c for c in creds if account in c.accounts), creds[0] if creds else None)
        if ix.status == 401 or owner is None:
            fresh = fresh_tokens(World(now=self.world.now, credentials=(Credential("x", "x", ()),))).credentials[0]
            self._secret(fresh.bearer, fresh.m2m)
            return fresh
        refused = refusal(ix.exchange())
        if ix.status == 403 or (refused == "account" and ix.status in (400, 404)):
            return next((c for c in creds if account not in c.accounts), owner)
        if ix.status == 400 and refused in ("token", "missing token"):
            fresh = fresh_tokens(World(now=self.world.now, credentials=(owner,))).credentials[0]
            self._secret(fresh.m2m)
            m2m = "" if refused == "missing token" else fresh.m2m  # a header sent empty
            return Credential(bearer=owner.bearer, m2m=m2m, accounts=owner.accounts)
        return owner

    def _learn(self, ix: Interaction, op: Op, ex: Exchange) -> None:
        """An id first seen in a recorded answer maps to the id the target gave at the same step."""
        old = ix.exchange().data
        if ix.method != "POST" or ix.status != 200 or not isinstance(old, dict) or not isinstance(old.get("id"), str):
            return
        new = ex.data
        if ex.status == 200 and isinstance(new, dict) and isinstance(new.get("id"), str):
            self.vocab.learn(old["id"], new["id"])

    def _mapped(self, old: Exchange, new: Exchange) -> Exchange:
        """The recorded exchange in the target's vocabulary (ids, accounts, devices, dates)."""
        data = old.data
        body = json.dumps(self.vocab.map_json(data)).encode() if isinstance(data, dict | list) else old.response_body
        # The request as sent (target vocabulary), so that it is classified against the target's world.
        return Exchange(old.method, new.url, old.request_headers, new.request_body, old.status,
                        old.response_headers, body)

    def _record(self, rule: str, method: str, old: Exchange, ex: Exchange, diffs: list[Difference]) -> None:
        results = self.t.results
        for r in evidence(rule, method, old):
            if RULES[r].level is not Level.INFO:
                results.exercised(r, CHECK)
        if RULES[rule].has_branches and (b := branch_of(rule, method, ex)) is not None:
            results.branch(rule, b)
        for d in diffs:
            self._finding(d, ex)

    def _finding(self, d: Difference, ex: Exchange) -> None:
        results = self.t.results
        rule = d.rule
        if rule is None or RULES[rule].level is Level.INFO:
            if rule is not None:
                results.note(rule, f"{d.where}: {d.kind} {d.what}: recorded {d.old}, target {d.new}")
            return
        title = f"{d.where}: {d.kind}{' ' + d.what if d.what else ''} differs from the recording"
        if d.allowed:
            # Both allowed by the rule: conformant, but not what the recording shows.
            results.fail(rule, CHECK, f"{title} (another allowed branch)", expected=d.old, actual=d.new,
                         exchanges=[ex], severity=Level.SHOULD)
        else:
            results.fail(rule, CHECK, title, expected=d.old, actual=d.new, exchanges=[ex])

    def _track(self, ix: Interaction, op: Op, ex: Exchange, cred: Credential) -> None:
        """The target's side: campaigns to clean up, and the status changes it showed (the report's diagram)."""
        data = ex.data if ex.status == 200 else None
        if not isinstance(data, dict):
            return
        if ix.method == "POST" and isinstance(data.get("id"), str):
            account = data.get("accountName") if isinstance(data.get("accountName"), str) else ""
            self.t.ledger.record(str(account), data["id"], cred)
            self.target_status[data["id"]] = str(data.get("status"))
        elif ix.method == "DELETE" and data.get("success") is True:
            self.t.cancelled.add(self.vocab.map_str(op.upgrade_id or ""))
        elif ix.method == "GET" and isinstance(data.get("status"), str):
            upgrade_id = self.vocab.map_str(op.upgrade_id or "")
            before = self.target_status.get(upgrade_id)
            if before is not None and before != data["status"]:
                key = (before, data["status"])
                self.t.edges[key] = self.t.edges.get(key, 0) + 1
            self.target_status[upgrade_id] = data["status"]
