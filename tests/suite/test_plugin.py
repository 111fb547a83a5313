"""The pytest plugin, in fresh temporary projects (pytester), against the real simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pluginkit import PLUGIN, outcomes_by_rule

from conformance.simulator.profile import Profile
from conformance.simulator.server import RunningSimulator, start


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start() as running:
        yield running


@pytest.fixture(scope="module")
def faulty_sim() -> Iterator[RunningSimulator]:
    with start(profile=Profile.of("auth03-m2m-ignored")) as running:
        yield running




def test_without_base_url_the_plugin_adds_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    assert True\n")
    result = pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "FOTA" not in result.stdout.str()


def test_one_item_per_selected_rule_matching_the_report(pytester: pytest.Pytester, sim: RunningSimulator,
                                                         tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    result = pytester.runpytest("--fota-base-url", sim.base_url, *PLUGIN, "-p", "no:cacheprovider", "-rA",
                                "-k", "AUTH or SIM-01 or LIFE-06", "--fota-report-json", str(report_path))
    report = json.loads(report_path.read_text())
    # -k narrows the run itself, not just the items: only the selected rules' checks ran.
    assert report["selected_rules"] == ["AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04", "LIFE-06", "SIM-01"]
    seen = outcomes_by_rule(result)
    assert set(seen) == set(report["selected_rules"])
    expected = {"passed": "PASSED", "warned": "PASSED", "failed": "FAILED", "skipped": "SKIPPED"}
    for rule_id, state in seen.items():
        assert state == expected[report["rules"][rule_id]["outcome"]], rule_id
    assert "FOTA v1 conformance of" in result.stdout.str()
    assert result.ret == (0 if report["conformant"] else 1)


def test_a_failed_rule_fails_its_item_with_the_findings(pytester: pytest.Pytester,
                                                         faulty_sim: RunningSimulator) -> None:
    result = pytester.runpytest("--fota-base-url", faulty_sim.base_url, *PLUGIN, "-p", "no:cacheprovider",
                                "-k", "AUTH-03 or AUTH-01", "--fota-seed", "3")
    result.assert_outcomes(failed=1, passed=1)
    text = result.stdout.str()
    assert "FOTA::AUTH-03" in text
    assert "expected:" in text and "actual:" in text and "curl " in text
    assert "bearer-alpha" not in text and "m2m-alpha" not in text  # the simulator's tokens, masked
    assert "seed: 3" in text


def test_an_unreachable_target_fails_every_item_with_one_reason(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fota-base-url", "http://127.0.0.1:9/api", *PLUGIN, "-p", "no:cacheprovider",
                                "-k", "POST-01 or POST-02")
    result.assert_outcomes(failed=2)
    assert result.stdout.str().count("could not be tested") >= 2


def test_bad_configuration_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fota-base-url", "ftp://nowhere", *PLUGIN, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result = pytester.runpytest("--fota-base-url", "http://127.0.0.1:9/api", "--fota-world", "/no/such.json",
                                *PLUGIN, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
