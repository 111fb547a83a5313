"""Regenerate the committed cassettes from the reference simulator.

    .venv/bin/python cassettes/record.py            # all of them, into cassettes/
    .venv/bin/python cassettes/record.py --out DIR  # elsewhere (the tests use this)

Each cassette is one short scripted conversation (tens of interactions) sent through the suite's
own ``Client`` to a freshly started simulator, recorded with ``conformance.cassettes.record``.
Deterministic: the simulator's clock is set through the control plane and its upgrade ids come from
a per-process counter, and the headers that change from run to run (``date``, ``server``) are left
out; only the port in the URLs differs between runs (a fresh simulator takes a free port).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conformance.cassettes import record
from conformance.simulator.profile import FAULTS, Profile
from conformance.simulator.server import start
from conformance.spec.world import Credential, World
from conformance.suite.context import SUITE_NOW, ControlPlane, suite_world
from conformance.suite.http import NO_AUTH, Client

HERE = Path(__file__).resolve().parent
UNSTABLE_HEADERS = ("date", "server")


class Script:
    """The four operations and the clock, with the world's first credential."""

    def __init__(self, client: Client, world: World) -> None:
        self.client = client
        self.control = ControlPlane(client)
        self.world = world
        self.cred: Credential = world.credentials[0]
        self.account = world.credentials[0].accounts[0]
        acct = world.account(self.account)
        assert acct is not None
        self.firmware = acct.firmware[0]
        self.free = [d.imei for d in acct.devices if d.fits(self.firmware) and d.reachable]

    def devices(self, n: int) -> list[str]:
        taken, self.free = self.free[:n], self.free[n:]
        return taken

    def schedule(self, n: int = 2, *, start_days: int = 3) -> tuple[str, list[str]]:
        imeis = self.devices(n)
        start = (SUITE_NOW + timedelta(days=start_days)).date()
        body = {"accountName": self.account, "firmwareName": self.firmware.name,
                "firmwareTo": self.firmware.to_version, "startDate": start.isoformat(),
                "endDate": (start + timedelta(days=2)).isoformat(), "deviceList": imeis}
        ex = self.client.send("POST", "/upgrades", json=body, creds=self.cred)
        assert ex.status == 200 and isinstance(ex.data, dict), ex.outcome()
        return str(ex.data["id"]), imeis

    def path(self, upgrade_id: str) -> str:
        return f"/upgrades/{self.account}/upgrade/{upgrade_id}"

    def get(self, upgrade_id: str) -> Any:
        return self.client.send("GET", self.path(upgrade_id), creds=self.cred, content_type=None).data

    def change(self, upgrade_id: str, kind: str, imeis: list[str]) -> Any:
        return self.client.send("PUT", self.path(upgrade_id), json={"type": kind, "deviceList": imeis},
                                creds=self.cred).data

    def cancel(self, upgrade_id: str) -> Any:
        return self.client.send("DELETE", self.path(upgrade_id), creds=self.cred, content_type=None).data

    def clock(self, when: datetime) -> None:
        self.control.set_clock(when)


def reference_lifecycle(s: Script) -> None:
    """One campaign RequestPending → Queued → InProgress → Finished, with appends and removes,
    plus a cancelled campaign and a refused request, so that every judged rule sees evidence."""
    upgrade_id, imeis = s.schedule(2, start_days=3)
    s.get(upgrade_id)                                   # RequestPending
    extra = s.devices(2)
    s.change(upgrade_id, "append", extra)               # AddDeviceSucceed × 2
    s.change(upgrade_id, "remove", [imeis[0]])          # RemoveDeviceSucceed
    s.change(upgrade_id, "append", [extra[0]])          # already in: a failed item with a Reason
    s.get(upgrade_id)                                   # reflects the changes
    s.clock(SUITE_NOW + timedelta(hours=1))
    s.get(upgrade_id)                                   # Queued
    s.clock(SUITE_NOW + timedelta(days=3))
    s.get(upgrade_id)                                   # InProgress
    s.change(upgrade_id, "append", s.devices(1))        # refused: the campaign has started (400)
    s.clock(SUITE_NOW + timedelta(days=4))
    s.get(upgrade_id)                                   # Finished
    s.clock(SUITE_NOW + timedelta(days=5))
    s.get(upgrade_id)                                   # still Finished
    cancelled, _ = s.schedule(1, start_days=10)
    s.cancel(cancelled)                                 # {"success": true}
    s.get(cancelled)                                    # a 4xx or a terminal status
    s.client.send("GET", s.path(upgrade_id), creds=NO_AUTH, content_type=None)  # 401


def terminal_changes(s: Script) -> None:
    """Drive a campaign to Finished, then look again a day later (life02-terminal-changes)."""
    upgrade_id, _ = s.schedule(2, start_days=2)
    s.get(upgrade_id)
    s.clock(SUITE_NOW + timedelta(hours=1))
    s.get(upgrade_id)
    s.clock(SUITE_NOW + timedelta(days=3, hours=1))
    s.get(upgrade_id)                                   # Finished
    s.clock(SUITE_NOW + timedelta(days=5))
    s.get(upgrade_id)                                   # the fault: UpgradeFailed


def append_and_remove(s: Script) -> None:
    """Appends (one of them failing per device) and a remove on an open campaign, then GET."""
    upgrade_id, imeis = s.schedule(2)
    extra = s.devices(2)
    s.change(upgrade_id, "append", extra)
    s.change(upgrade_id, "append", [extra[0]])          # already in: a failed item with a reason
    s.change(upgrade_id, "remove", [imeis[0]])
    s.get(upgrade_id)


#: name → (faults planted in the simulator, the conversation).
CASSETTES: dict[str, tuple[tuple[str, ...], Callable[[Script], None]]] = {
    "reference-lifecycle": ((), reference_lifecycle),
    "faulty-terminal-changes": (("life02-terminal-changes",), terminal_changes),
    "faulty-lowercase-reason": (("put07-lowercase-reason",), append_and_remove),
    "faulty-stale-devices": (("life04-get-stale-devices",), append_and_remove),
    "faulty-queued-at-once": (("post01-queued-at-once",), append_and_remove),
}


def record_one(name: str, out: Path, *, world: World | None = None, faults: tuple[str, ...] | None = None,
               filename: str | None = None) -> Path:
    """Record the scenario ``name``; ``faults`` replaces its planted faults (the tests record a scenario
    against another fault, to diff it with the committed recording), ``filename`` the file's stem."""
    default_faults, script = CASSETTES[name]
    faults = default_faults if faults is None else faults
    assert all(f in FAULTS for f in faults)
    world = world or suite_world()
    path = out / f"{filename or name}.yaml"
    tokens = [t for c in world.credentials for t in (c.bearer, c.m2m)]
    with start(profile=Profile(faults=frozenset(faults))) as sim, \
            record(path, secrets=tokens, drop_response_headers=UNSTABLE_HEADERS,
                   metadata={"scenario": name, "faults": list(faults),
                             "rules": [FAULTS[f].rule for f in faults]}), \
            Client(sim.base_url, secrets=tokens) as client:
        s = Script(client, world)
        s.control.load(world)
        script(s)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"some of: {', '.join(CASSETTES)}")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(CASSETTES)
    if unknown:
        parser.error(f"unknown cassette(s): {', '.join(sorted(unknown))}")
    for name in args.names or CASSETTES:
        print(record_one(name, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
