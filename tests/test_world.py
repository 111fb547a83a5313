"""World files: every bad one is a one-line WorldError naming the field; good ones round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.spec.world import World, WorldError, default_world

# A world in the shape of docs/simulator-contract.md, with an extra field; beta's account is left
# undescribed on purpose (the format allows it: such an account holds nothing).
EXAMPLE = {
    "now": "2026-03-01T00:00:00Z",
    "credentials": [{"bearer": "bearer-alpha", "m2m": "m2m-alpha", "accounts": ["0000123456-00001"]},
                    {"bearer": "bearer-beta", "m2m": "m2m-beta", "accounts": ["0000654321-00001"]}],
    "accounts": [{
        "accountName": "0000123456-00001",
        "firmware": [{"firmwareName": "FOTA_Verizon_Model-A_01To02_HF", "make": "Verizon", "model": "Model-A",
                      "fromVersion": "VerizonFirmwareVersion-01", "toVersion": "VerizonFirmwareVersion-02"}],
        "devices": [{"imei": "990003425730535", "make": "Verizon", "model": "Model-A",
                     "firmware": "VerizonFirmwareVersion-01"},
                    {"imei": "990000473475989", "make": "Verizon", "model": "Model-A",
                     "firmware": "VerizonFirmwareVersion-01", "reachable": False}],
        "futureField": {"ignored": True},
    }],
}


def test_contract_example_loads_and_round_trips() -> None:
    world = World.from_json(EXAMPLE)
    assert world.accounts[0].devices[0].reachable is True
    assert world.accounts[0].devices[1].reachable is False
    assert World.from_json(world.to_json()) == world


def test_default_world_round_trips_and_has_what_the_suite_needs() -> None:
    world = default_world()
    assert World.from_json(json.loads(json.dumps(world.to_json()))) == world
    account = world.accounts[0]
    fw = account.firmware[0]
    assert sum(d.fits(fw) and d.reachable for d in account.devices) >= 55  # concurrency scenario
    assert any(d.fits(fw) and not d.reachable for d in account.devices)
    assert any(not d.fits(fw) for d in account.devices)
    assert len(world.credentials) == 2 and set(world.credentials[0].accounts).isdisjoint(world.credentials[1].accounts)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda w: w.pop("now"), "now"),
    (lambda w: w.update(now="yesterday"), "now"),
    (lambda w: w.update(now="2026-03-01T00:00:00"), "time zone"),
    (lambda w: w.update(accounts={}), "accounts"),
    (lambda w: w["accounts"][0].pop("accountName"), "accounts[0].accountName"),
    (lambda w: w["accounts"][0]["devices"][0].update(reachable="no"), "reachable"),
    (lambda w: w["credentials"][0].update(accounts="0000123456-00001"), "credentials[0].accounts"),
    (lambda w: w["credentials"][0].pop("m2m"), "credentials[0].m2m"),
    (lambda w: w["accounts"][0]["devices"].append(dict(w["accounts"][0]["devices"][0])), "twice"),
])
def test_bad_worlds_name_the_field(mutate, message) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(json.dumps(EXAMPLE))
    mutate(data)
    with pytest.raises(WorldError, match=None) as err:
        World.from_json(data)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match="cannot read"):
        World.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(WorldError, match="not JSON"):
        World.load(bad)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(WorldError):
        World.load(binary)


def test_every_problem_is_one_line_naming_the_field(tmp_path: Path) -> None:
    data = json.loads(json.dumps(EXAMPLE))
    device = data["accounts"][0]["devices"][1]
    device["imei"] = 12
    device.pop("make")
    data["credentials"][1]["m2m"] = ""
    path = tmp_path / "world.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(WorldError) as err:
        World.load(path)
    assert sorted(err.value.problems) == sorted([
        f"{path}: accounts[0].devices[1].imei: 12 is not of type 'string'",
        f"{path}: accounts[0].devices[1].make: required but missing",
        f"{path}: credentials[1].m2m: '' should be non-empty",
    ])
    assert str(err.value).startswith(f"{path}: ") and str(err.value).endswith("(and 2 more problems)")


def test_what_the_schema_cannot_say_is_checked_too() -> None:
    data = json.loads(json.dumps(EXAMPLE))
    data["accounts"].append(dict(data["accounts"][0], devices=[]))
    data["accounts"][0]["devices"].append(dict(data["accounts"][0]["devices"][0]))
    data["now"] = "2026-03-01T00:00:00"
    with pytest.raises(WorldError) as err:
        World.from_json(data)
    assert err.value.problems == [
        "now: '2026-03-01T00:00:00' has no time zone (use Z for UTC)",
        "accounts[0].devices[2].imei: '990003425730535' appears twice (also accounts[0].devices[0].imei)",
        "accounts[1].accountName: '0000123456-00001' appears twice (also accounts[0].accountName)",
    ]


def test_a_huge_wrong_value_is_quoted_short() -> None:
    data = json.loads(json.dumps(EXAMPLE))
    data["accounts"][0]["accountName"] = list(range(1000))
    with pytest.raises(WorldError) as err:
        World.from_json(data)
    assert len(str(err.value)) < 300 and str(err.value).startswith("accounts[0].accountName: [0, 1, 2")
