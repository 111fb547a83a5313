"""The field's world: what a team validating the vendor's API really holds — a test account with a
handful of devices (3 reachable ones that fit its firmware, 1 unreachable, 1 of another model) and a
second account with 2 devices — and the reference simulator standing in for the vendor: no control
plane, its clock following wall time (so RequestPending is decided, as the vendor decides it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from conformance.simulator.profile import Profile
from conformance.simulator.server import RunningSimulator, start
from conformance.spec.lifecycle import OPEN
from conformance.spec.world import ACCOUNT_A, ACCOUNT_B, FW_A, Account, Credential, Device, World

__all__ = ["FAST_POLL", "field_simulator", "open_campaigns", "small_world", "write_world"]

#: The reference simulator decides at the next request; polling this fast keeps tests short.
FAST_POLL: dict[str, Any] = {"poll_interval": 0.1, "poll_total": 3.0}


def small_world() -> World:
    now = datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC)
    mk, model, v1 = FW_A.make, FW_A.model, FW_A.from_version
    a = (Device("990003425730535", mk, model, v1), Device("990000473475989", mk, model, v1),
         Device("350000000010001", mk, model, v1), Device("350000000020001", mk, model, v1, reachable=False),
         Device("350000000040001", mk, "Model-B", "VerizonFirmwareVersion-03"))
    b = (Device("350000000090001", mk, model, v1), Device("350000000090002", mk, model, v1))
    return World(now=now,
                 credentials=(Credential("bearer-alpha", "m2m-alpha", (ACCOUNT_A,)),
                              Credential("bearer-beta", "m2m-beta", (ACCOUNT_B,))),
                 accounts=(Account(ACCOUNT_A, (FW_A,), a), Account(ACCOUNT_B, (FW_A,), b)))


def write_world(path: Path) -> Path:
    path.write_text(json.dumps(small_world().to_json()))
    return path


@contextmanager
def field_simulator(*names: str, realtime: bool = True) -> Iterator[RunningSimulator]:
    """The reference simulator (with faults/variants ``names``) as a black-box target."""
    with start(world=small_world(), profile=Profile.of(*names), control_plane=False, realtime=realtime) as sim:
        yield sim


def open_campaigns(sim: RunningSimulator) -> list[str]:
    """Campaigns left open on the target: a black-box run must leave none."""
    return [c.id for c in sim.simulator.campaigns() if c.status in OPEN and not c.cancelled]
