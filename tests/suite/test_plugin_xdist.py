"""The pytest plugin under pytest-xdist: the same verdicts as a serial run, from one run of the suite.

Real simulators on loopback, real pytest sessions (pytester, in subprocesses so that xdist can
start its workers). The suite runs at ``--fota-depth quick`` here: the point is the plugin's
plumbing, not the depth of the exploration.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from pluginkit import PLUGIN, outcomes_by_rule

from conformance.simulator.profile import Profile
from conformance.simulator.server import start

pytestmark = pytest.mark.slow
pytest.importorskip("xdist")


def _run(pytester: pytest.Pytester, *extra: str, fault: str) -> tuple[dict[str, str], int, int]:
    """(outcome by rule, exit code, world loads the target saw) for one fresh faulty simulator."""
    with start(profile=Profile.of(fault)) as sim:
        result = pytester.runpytest_subprocess("--fota-base-url", sim.base_url, "--fota-depth", "quick",
                                               *PLUGIN, "-p", "no:cacheprovider", "-rA", *extra)
        # Every check of a run starts by loading the world: the count is how many runs reached the target.
        loads = sim.simulator._loads
    return outcomes_by_rule(result), result.ret, loads


def test_xdist_workers_report_the_verdicts_of_one_serial_run(pytester: pytest.Pytester) -> None:
    leftovers_before = set(Path(tempfile.gettempdir()).glob("fota-conformance-xdist-*"))
    serial, serial_ret, serial_loads = _run(pytester, fault="put06-type-whitespace-stripped")
    parallel, parallel_ret, parallel_loads = _run(pytester, "-n", "2", fault="put06-type-whitespace-stripped")
    assert serial["PUT-06"] == "FAILED"  # the planted fault is seen both ways …
    assert parallel == serial  # … and every other verdict agrees
    assert len(parallel) == 31 and parallel_ret == serial_ret == 1
    # One run of the suite, not one per worker: the target never saw two runs at once.
    assert parallel_loads == serial_loads
    assert set(Path(tempfile.gettempdir()).glob("fota-conformance-xdist-*")) == leftovers_before
