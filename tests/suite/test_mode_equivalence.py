"""Mode equivalence, sampled: for every rule that needs no clock, the verdict with the control plane
and without it (the field's small world) is the same. The full comparison over the whole catalogue
is ``scripts/mode_equivalence.py`` (a few minutes); CI runs the profiles below, chosen because each
once differed: a fault black-box mode had to be taught to see, or a target that keeps devices."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

SAMPLE = [
    "clean",
    "post04-mismatch-queued",  # accepted, semantically invalid, then Queued: judged by polling too
    "life06-cancel-ignored",  # DELETE changes nothing: the pool must still get its devices back
    "put06-type-unchecked",  # "add" taken as append: the pool must not lend those devices again
    "sync-refusal",  # a valid variant: refused at once
]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mode_equivalence", ROOT / "scripts" / "mode_equivalence.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mode_equivalence"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("profile", SAMPLE)
def test_same_verdict_with_and_without_the_control_plane(profile: str) -> None:
    result = _script().compare(profile, examples=3)
    assert result.mismatches == {}, result.mismatches
    assert all(why for _, why in result.not_seen.values())


def test_what_only_the_clock_finds_is_reported_as_not_seen() -> None:
    result = _script().compare("life06-cancel-started", examples=3)
    assert result.mismatches == {}
    assert set(result.not_seen) == {"LIFE-06"}, result.not_seen
    assert "needs the control plane" in result.not_seen["LIFE-06"][1]
