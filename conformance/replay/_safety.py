"""The safety rails of a replay against a target without a control plane (a real system): what may
be sent, and cleaning up after it."""

from __future__ import annotations

from typing import Any

from conformance.replay._compare import Op
from conformance.replay._roles import IMEI_LIKE, Vocabulary
from conformance.spec.world import World
from conformance.suite.context import Ledger
from conformance.suite.http import Client, TargetUnreachable

__all__ = ["cleanup", "unsafe"]


def unsafe(world: World, vocab: Vocabulary, op: Op, method: str, body: Any, created: set[str]) -> str | None:
    """Why sending this request to a target without a control plane would be unsafe, or None: only
    the account and the devices of --world are ever named, and only campaigns this replay created are
    changed (a recorded id may exist on a real account and belong to someone's real campaign)."""
    account = vocab.map_str(op.account) if op.account else None
    if isinstance(body, dict) and isinstance(body.get("accountName"), str):
        account = body["accountName"]
    mine = {a for c in world.credentials for a in c.accounts}
    if account is not None and account not in mine:
        return f"names account {account}, which --world does not hold (safety: only the world's accounts)"
    known = {d.imei for a in world.accounts for d in a.devices}
    for key in ("deviceList", "devicelist"):
        devices = body.get(key) if isinstance(body, dict) else None
        for imei in devices if isinstance(devices, list) else []:
            if isinstance(imei, str) and IMEI_LIKE.match(imei) and imei not in known:
                return f"names device {imei}, which --world does not hold (safety: only the world's devices)"
    if method in ("PUT", "DELETE") and op.upgrade_id is not None and vocab.map_str(op.upgrade_id) not in created:
        return "changes a campaign this replay did not create (safety: only its own campaigns are changed)"
    return None


def cleanup(client: Client, ledger: Ledger, cancelled: set[str]) -> None:
    """Black-box safety: cancel every campaign this replay created and did not cancel itself; Ctrl-C
    is held back meanwhile (a second one must not leave campaigns behind on a real system)."""
    from conformance.suite.runner import _sigint_deferred  # the run's own Ctrl-C discipline

    with _sigint_deferred():
        for account, upgrade_id, cred in ledger.created:
            if upgrade_id in cancelled:
                continue
            try:
                ex = client.send("DELETE", f"/upgrades/{account}/upgrade/{upgrade_id}",
                                   headers={"Authorization": f"Bearer {cred.bearer}", "VZ-M2M-Token": cred.m2m},
                                   content_type=None)
            except TargetUnreachable:
                return
            if ex.status is not None and 200 <= ex.status < 300:
                cancelled.add(upgrade_id)
