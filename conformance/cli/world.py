"""``fota-conformance world``: write a starter world file, check one, or print the format's JSON Schema.

JSON has no comments, so the starter world carries its explanations in ``_comment`` fields: the
world format ignores fields it does not know (docs/simulator-contract.md), so the file is a valid
world as written and stays one while it is filled in.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from conformance.cli._common import EXIT_OK, EXIT_USAGE, UsageError

__all__ = ["example_world", "register", "world_notes"]

#: Placeholder values of the starter world; ``--check`` points out the ones still there.
FILL_IN = "FILL-IN"


def register(sub: Any) -> None:
    world = sub.add_parser("world", help="write a starter world file, or check one",
                           description="A world file describes the accounts, firmware, devices and tokens a "
                                       "run may use (docs/simulator-contract.md). --example writes a starter "
                                       "file with _comment fields on what to fill in for a real test "
                                       "account; --check validates one: one line per problem, exit 2.")
    what = world.add_mutually_exclusive_group(required=True)
    what.add_argument("--example", nargs="?", const="-", metavar="FILE",
                      help="write a starter world to FILE (default: standard output); never overwrites")
    what.add_argument("--check", metavar="FILE", help="validate FILE; exit 0 if it is a usable world, else 2")
    what.add_argument("--schema", action="store_true", help="print the world format as JSON Schema")
    world.set_defaults(handler=_cmd_world)


def _cmd_world(args: argparse.Namespace) -> int:
    if args.check is not None:
        return _check(args.check)
    if args.schema:
        from conformance.spec.world import world_schema

        print(json.dumps(world_schema(), indent=2, ensure_ascii=False))
        return EXIT_OK
    text = json.dumps(example_world(), indent=2, ensure_ascii=False) + "\n"
    if args.example == "-":
        sys.stdout.write(text)
        return EXIT_OK
    try:
        with Path(args.example).open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise UsageError(f"{args.example} already exists; remove it or name another file") from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.example}: {exc.strerror or exc}") from None
    print(f"wrote {args.example}: fill in the {FILL_IN} values, then: fota-conformance world --check {args.example}")
    return EXIT_OK


def _check(path: str) -> int:
    from conformance.spec.world import World, WorldError

    try:
        world = World.load(path)
    except WorldError as exc:
        for problem in exc.problems:
            print(problem)
        return EXIT_USAGE
    for note in world_notes(world, json.loads(Path(path).read_text(encoding="utf-8"))):
        print(f"{path}: note: {note}")
    counts = (f"{len(world.credentials)} credential(s), {len(world.accounts)} account(s), "
              f"{sum(len(a.devices) for a in world.accounts)} device(s)")
    print(f"{path}: a valid world ({counts})")
    return EXIT_OK


def world_notes(world: Any, data: Any) -> list[str]:
    """What a valid world lacks for a full run (never a problem of the format): placeholders left,
    accounts only a credential names, what the suite needs to test every rule."""
    notes = []
    left = _placeholders(data)
    if left:
        shown = ", ".join(left[:4]) + (f" and {len(left) - 4} more" if len(left) > 4 else "")
        notes.append(f"{len(left)} value(s) still hold a {FILL_IN} placeholder: {shown}")
    for name in world.undescribed_accounts():
        notes.append(f"account {name!r} is named by a credential but not described: it holds no firmware "
                     "and no devices")
    if not world.credentials or not world.credentials[0].accounts:
        return [*notes, "the suite tests with the first credential's first account: there is none"]
    account = world.account(world.credentials[0].accounts[0])
    if account is None:
        return [*notes, "the suite tests with the first credential's first account, which is not described: "
                        "`run --world` refuses this world"]
    fits = max((sum(d.fits(f) and d.reachable for d in account.devices) for f in account.firmware), default=0)
    if fits < 30:
        notes.append(f"account {account.name!r}: {fits} reachable device(s) fit its best firmware; a run "
                     "without a control plane never reuses a device, so with fewer than about 30 some checks "
                     "are reported partly untested")
    others = [c for c in world.credentials[1:] if not set(c.accounts) & set(world.credentials[0].accounts)]
    if not others:
        notes.append("no second credential for another account: AUTH-04 is skipped and PUT-05 tries no "
                     "foreign upgradeId")
    return notes


def _placeholders(data: Any, where: str = "") -> list[str]:
    if isinstance(data, dict):
        return [p for key, value in data.items() if not str(key).startswith("_")
                for p in _placeholders(value, f"{where}.{key}" if where else str(key))]
    if isinstance(data, list):
        return [p for i, value in enumerate(data) for p in _placeholders(value, f"{where}[{i}]")]
    return [where] if isinstance(data, str) and FILL_IN in data else []


def example_world() -> dict[str, Any]:
    """A starter world for a target without a control plane: valid as written, with a ``_comment``
    on every part saying what to put there for a real test account."""
    fw = {"_comment": f"{FILL_IN}: a firmware image available to the account (GET /firmware/{{account}} of the "
                      "vendor's API lists them): its name, the make and model it fits, the version it "
                      "upgrades from and the one it upgrades to (echoed as a campaign's firmwareTo).",
          "firmwareName": f"{FILL_IN}_FOTA_Verizon_Model-A_01To02_HF", "make": "Verizon", "model": "Model-A",
          "fromVersion": "VerizonFirmwareVersion-01", "toVersion": "VerizonFirmwareVersion-02"}
    fitting = [{"imei": f"{FILL_IN}-3500000000100{n:02d}", "make": "Verizon", "model": "Model-A",
                "firmware": "VerizonFirmwareVersion-01"} for n in range(1, 4)]
    fitting[0] = {"_comment": f"{FILL_IN}: the account's test devices that fit the firmware: same make and "
                              "model, running its fromVersion. Give about 30: a run never reuses a device "
                              "across campaigns (with fewer, the report says which checks went without). "
                              "Only these devices are ever scheduled, always at least 30 days ahead, and "
                              "every campaign is cancelled before the run ends.", **fitting[0]}
    misfit = {"_comment": "Optional: a device of the account that does NOT fit the firmware (another model, "
                          "or another version). The suite uses it to test refusals (POST-04, PUT-03); "
                          "without one those cases are not tried.",
              "imei": f"{FILL_IN}-350000000040001", "make": "Verizon", "model": "Model-B",
              "firmware": "VerizonFirmwareVersion-03"}
    return {
        "_comment": ["A world file for `fota-conformance run --base-url URL --world FILE` against a target "
                     "without a control plane: it describes what already exists on the target, and the "
                     "suite touches nothing else.",
                     f"Replace every {FILL_IN} value (and remove the {FILL_IN} marks), then run "
                     "`fota-conformance world --check FILE`.",
                     "Fields whose name starts with _ are comments: the world format ignores fields it "
                     "does not know. The format: docs/simulator-contract.md.",
                     "Tokens stay in this file only: reports, logs and cassettes never show them. Do not "
                     "commit a filled-in copy."],
        "now": "2026-03-01T00:00:00Z",
        "_now": "Required by the format; a target without a control plane keeps its own clock, so any "
                "instant will do. (A simulator with a control plane starts its clock here.)",
        "credentials": [
            {"_comment": f"{FILL_IN}: your test account's OAuth access token (sent as `Authorization: Bearer`) "
                         "and VZ-M2M session token. The suite acts as this first credential, on its first "
                         "account.",
             "bearer": f"{FILL_IN}-oauth-access-token", "m2m": f"{FILL_IN}-vz-m2m-session-token",
             "accounts": [f"{FILL_IN}-0000123456-00001"]},
            {"_comment": "Optional: the tokens of a second test account. The suite then checks that the first "
                         "credential never reaches this account's data (AUTH-04, PUT-05). Without one, "
                         "remove this entry and the second account below.",
             "bearer": f"{FILL_IN}-second-oauth-access-token", "m2m": f"{FILL_IN}-second-vz-m2m-session-token",
             "accounts": [f"{FILL_IN}-0000654321-00001"]},
        ],
        "accounts": [
            {"_comment": f"{FILL_IN}: the first account's name exactly as in requests (leading zeros kept); "
                         "the same name as in the first credential.",
             "accountName": f"{FILL_IN}-0000123456-00001", "firmware": [fw], "devices": [*fitting, misfit]},
            {"_comment": "Optional (with the second credential): the second account, with a firmware image and "
                         "at least one device that fits it, so that there is a campaign of its own to protect.",
             "accountName": f"{FILL_IN}-0000654321-00001",
             "firmware": [{k: v for k, v in fw.items() if k != "_comment"}],
             "devices": [{"imei": f"{FILL_IN}-350000000090001", "make": "Verizon", "model": "Model-A",
                          "firmware": "VerizonFirmwareVersion-01"}]},
        ],
    }
