"""Volatile values matched by role: what a recorded value stands for on the target.

A recording was made against one world at one time; the target has its own ids, maybe its own
account, devices and clock, and certainly its own tokens (a recording holds none). ``Vocabulary``
maps whole recorded strings to the target's: an upgrade id first seen in a recorded response maps
to the id the target gives at the same step; an account, firmware or device of the recorded world
maps to the one with the same role in the target's world (same credential, same firmware fit, same
reachability); a ``startDate``/``endDate`` keeps its distance from the recording's clock (and moves
at least ``min_lead_days`` into the future against a target without a control plane).
"""

from __future__ import annotations

import json
import re
import secrets as _secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final

from conformance.cassettes import PLACEHOLDER, Interaction, RecordedCassette
from conformance.spec.world import Account, Credential, Device, Firmware, World, WorldError

__all__ = ["FILTERED", "IMEI_LIKE", "Vocabulary", "accepted_devices", "clock_of", "day_shift", "fresh_tokens",
           "recorded_instant", "recorded_world", "unfilter", "world_roles"]

_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Something that could be a real device: it is never sent to a target without a control plane
#: unless it is one of the devices of ``--world``.
IMEI_LIKE: Final = re.compile(r"^\d{14,16}$")
DATE_KEYS: Final = ("startDate", "endDate")
#: What recorders put where a token was: ours, and schemathesis' default replacement.
FILTERED: Final = (PLACEHOLDER, "[Filtered]")


@dataclass
class Vocabulary:
    """Recorded value → target value, for whole strings (never substrings: an IMEI inside a longer
    number, or an id inside a message, stays as it is)."""

    values: dict[str, str] = field(default_factory=dict)
    day_shift: timedelta = timedelta(0)

    def learn(self, old: str, new: str) -> None:
        self.values.setdefault(old, new)

    def map_str(self, value: str) -> str:
        return self.values.get(value, value)

    def map_date(self, value: str) -> str:
        if value in self.values or not _DATE.match(value) or not self.day_shift:
            return self.map_str(value)
        try:
            shifted = (date.fromisoformat(value) + self.day_shift).isoformat()
        except ValueError:
            return value
        self.learn(value, shifted)
        return shifted

    def map_json(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, str):
            return self.map_date(value) if key in DATE_KEYS else self.map_str(value)
        if isinstance(value, list):
            return [self.map_json(v, key) for v in value]
        if isinstance(value, dict):
            return {k: self.map_json(v, k) for k, v in value.items()}
        return value

    def map_path(self, path: str) -> str:
        return "/".join(self.map_str(segment) for segment in path.split("/"))

    def learn_pair(self, old: Any, new: Any) -> None:
        """Walk two answers (or requests) of the same step in parallel and learn every string that differs."""
        if isinstance(old, str) and isinstance(new, str):
            if old != new:
                self.learn(old, new)
        elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
            for a, b in zip(old, new, strict=True):
                self.learn_pair(a, b)
        elif isinstance(old, dict) and isinstance(new, dict):
            for k in old.keys() & new.keys():
                self.learn_pair(old[k], new[k])


def recorded_world(body: bytes | None) -> World | None:
    """The world a recording loaded through ``PUT /__control/world`` (its tokens filtered), if readable."""
    try:
        return World.from_json(json.loads(body or b""))
    except (ValueError, WorldError, RecursionError):
        return None


def fresh_tokens(world: World) -> World:
    """The same world with new random tokens: a recording holds none, and these never leave this run."""
    creds = tuple(Credential(bearer=f"replay-bearer-{_secrets.token_hex(8)}", m2m=f"replay-m2m-{_secrets.token_hex(8)}",
                             accounts=c.accounts) for c in world.credentials)
    return replace(world, credentials=creds)


def _fits_index(account: Account, device: Device) -> int:
    return next((i for i, fw in enumerate(account.firmware) if device.fits(fw)), -1)


def world_roles(vocab: Vocabulary, recorded: World | None, target: World, seen_accounts: Iterable[str],
                seen_firmware: Iterable[str], seen_devices: Iterable[str]) -> None:
    """Teach ``vocab`` the target's account, firmware and device for each recorded one, by role.

    With the recorded world, roles are exact: credential i's account j, the account's firmware k,
    and the next unused device that fits the same firmware with the same reachability. Without it
    (a schemathesis run, a black-box recording), names the target's world knows stay as they are,
    and the others map in order of first appearance: accounts to the credentials' accounts, firmware
    to the account's firmware, IMEI-like strings to the target's unused devices that fit it.
    """
    if recorded is not None and recorded == target:
        return
    t_accounts = [a for c in target.credentials for a in c.accounts if target.account(a) is not None]
    used: set[str] = set()
    if recorded is not None:
        for rc, tc in zip(recorded.credentials, target.credentials, strict=False):
            for ra_name, ta_name in zip(rc.accounts, tc.accounts, strict=False):
                vocab.learn(ra_name, ta_name)
        for racc in recorded.accounts:
            tacc = target.account(vocab.map_str(racc.name))
            if tacc is None:
                continue
            for rf, tf in zip(racc.firmware, tacc.firmware, strict=False):
                vocab.learn(rf.name, tf.name)
            for rd in racc.devices:
                k = _fits_index(racc, rd)
                pick = next((d for d in tacc.devices if d.imei not in used and d.reachable == rd.reachable
                             and _fits_index(tacc, d) == k), None)
                if pick is not None:
                    used.add(pick.imei)
                    vocab.learn(rd.imei, pick.imei)
        return
    known_accounts = {a.name for a in target.accounts}
    free_accounts = [a for a in t_accounts if a not in seen_accounts]
    for name in dict.fromkeys(seen_accounts):
        if name not in known_accounts and free_accounts:
            vocab.learn(name, free_accounts.pop(0))
    home = target.account(t_accounts[0]) if t_accounts else None
    if home is None:
        return
    best = sorted(home.firmware, key=lambda fw: -sum(d.fits(fw) for d in home.devices))
    known_fw = {f.name for a in target.accounts for f in a.firmware}
    for name in dict.fromkeys(seen_firmware):
        if name not in known_fw and best:
            vocab.learn(name, best.pop(0).name)
    firmware: Firmware | None = home.find_firmware(vocab.map_str(next(iter(seen_firmware), ""))) or (
        home.firmware[0] if home.firmware else None)
    known_devices = {d.imei for a in target.accounts for d in a.devices}
    free = [d.imei for d in home.devices if d.reachable and (firmware is None or d.fits(firmware))
            and d.imei not in set(seen_devices)]
    for imei in dict.fromkeys(seen_devices):
        if imei not in known_devices and IMEI_LIKE.match(imei) and free:
            vocab.learn(imei, free.pop(0))


def day_shift(recorded_today: date | None, earliest_start: date | None, target_today: date, *,
              min_lead_days: int) -> timedelta:
    """How far recorded dates move: keep their distance from the recording's clock, and (against a
    target without a control plane, ``min_lead_days`` > 0) land every start at least that far ahead."""
    shift = (target_today - recorded_today) if recorded_today is not None else timedelta(0)
    if min_lead_days > 0 and earliest_start is not None:
        lead = target_today + timedelta(days=min_lead_days) - (earliest_start + shift)
        if lead > timedelta(0):
            shift += lead
    return shift


def clock_of(recorded: World | None, instants: Iterable[datetime]) -> date | None:
    if recorded is not None:
        return recorded.today
    first = next(iter(instants), None)
    return first.date() if first is not None else None


def accepted_devices(ix: Interaction) -> set[str]:
    data = ix.exchange().data
    items = data.get("deviceList") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return set()
    ok = {"RequestPending", "Queued", "InProgress", "Finished", "AddDeviceSucceed", "RemoveDeviceSucceed"}
    return {str(i.get("deviceId")) for i in items if isinstance(i, dict) and i.get("status") in ok}


def unfilter(value: str, token: str) -> str:
    """Every placeholder in a recorded header value becomes the token (a scheme word that was itself a
    token, as in an AUTH-01 probe, is filtered too and comes back as one)."""
    for placeholder in FILTERED:
        value = value.replace(placeholder, token)
    return value


def recorded_instant(cassette: RecordedCassette) -> datetime | None:
    """When a recording without a world was made: the first answer's Date header (schemathesis keeps it)."""
    for ix in cassette.interactions:
        value = ix.response_headers.get("date")
        if value:
            try:
                return parsedate_to_datetime(value).astimezone(UTC)
            except (TypeError, ValueError):
                return None
    return None
