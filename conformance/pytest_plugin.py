"""The pytest plugin: ``pytest --fota-base-url URL`` adds one test item per rule
(``FOTA::POST-01`` …) to the session, backed by a single run of the suite.

Without ``--fota-base-url`` it only registers its options: nothing is imported beyond pytest, and no
item is added, so it cannot slow or disturb other test runs. The suite runs lazily, when the first
FOTA item runs, for the rules still selected after ``-k``/``--deselect`` — ``-k POST`` runs only the
POST checks — and its report (or its abort) is cached for the rest of the session.

Under pytest-xdist (``-n N``) the suite still runs exactly once per session: in the controller,
before the workers start, and every worker reads that one report. Workers never test the target
themselves: N runs at once against one target would share its devices and campaigns (and, with a
control plane, reload each other's world mid-check), so their verdicts would differ from a serial
run's. Under xdist the whole suite runs (``-k`` still selects which items are reported).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.spec.world import World

__all__ = ["FotaConformanceWarning"]

_COLLECTOR = "FOTA"


class FotaConformanceWarning(UserWarning):
    """A SHOULD rule the target did not meet: reported, the test still passes."""


class _Untestable(Exception):
    """The suite could not run (target unreachable, bad configuration): every FOTA item fails with it."""


class _RuleFailed(Exception):
    pass


class _Session:
    """Per-session state, kept on the config: the lazily computed report."""

    def __init__(self, config: pytest.Config, base_url: str, world: World | None) -> None:
        self.config = config
        self.base_url = base_url
        self.world = world
        self.report: dict[str, Any] | None = None
        self.error: str | None = None
        self.rules: list[str] | None = None

    def get_report(self) -> dict[str, Any]:
        shared = getattr(self.config, "workerinput", {}).get(_XDIST_KEY)
        if shared is not None and self.report is None and self.error is None:
            # An xdist worker: the controller ran the suite (see _XdistController).
            payload = json.loads(Path(shared).read_text(encoding="utf-8"))
            self.report, self.error = payload.get("report"), payload.get("error")
        if self.report is None and self.error is None:
            from conformance.suite.context import Settings
            from conformance.suite.runner import ConfigError, RunAborted, run_suite

            seed = self.config.getoption("fota_seed")
            settings = Settings(seed=seed) if seed is not None else Settings()
            settings = replace(settings, depth=self.config.getoption("fota_depth"))
            try:
                self.report = run_suite(self.base_url, world=self.world, settings=settings, rules=self.rules)
            except (RunAborted, ConfigError) as exc:
                self.error = f"the FOTA target could not be tested: {exc}"
        if self.error is not None:
            raise _Untestable(self.error)
        assert self.report is not None
        return self.report


_KEY = pytest.StashKey[_Session]()
_XDIST_KEY = "fota_conformance_report"


class _XdistController:
    """Registered in the xdist controller only: runs the suite once and hands each worker the path
    of the report (or of the reason it could not be tested)."""

    def __init__(self, state: _Session) -> None:
        self.state = state
        self.folder: str | None = None

    def shared_report(self) -> str:
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="fota-conformance-xdist-")
            try:
                payload: dict[str, Any] = {"report": self.state.get_report(), "error": None}
            except _Untestable as exc:
                payload = {"report": None, "error": str(exc)}
            Path(self.folder, "report.json").write_text(json.dumps(payload), encoding="utf-8")
        return str(Path(self.folder, "report.json"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[_XDIST_KEY] = self.shared_report()

    def pytest_unconfigure(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fota", "FOTA v1 conformance (fota-conformance)")
    group.addoption("--fota-base-url", metavar="URL", default=None,
                    help="test the FOTA v1 API at URL: one test item per behaviour rule")
    group.addoption("--fota-world", metavar="FILE", default=None,
                    help="world JSON (required when the target has no control plane)")
    group.addoption("--fota-seed", metavar="N", type=int, default=None, help="seed of the generated requests")
    group.addoption("--fota-depth", choices=("quick", "default", "thorough"), default="default",
                    help="how much input exploration (default: default; thorough for a nightly job)")
    group.addoption("--fota-report-json", metavar="FILE", default=None, help="also write the JSON report here")


def pytest_configure(config: pytest.Config) -> None:
    base_url = config.getoption("fota_base_url", None)
    if not base_url:
        return
    # Bad configuration is a usage error before collection, not 31 identical failures after it.
    from conformance.report.jsonio import ReportError, check_writable
    from conformance.spec.world import World, WorldError
    from conformance.suite.runner import ConfigError, validate_base_url

    try:
        base_url = validate_base_url(base_url)
        world_path = config.getoption("fota_world")
        world = World.load(world_path) if world_path else None
        report_path = config.getoption("fota_report_json")
        if report_path:
            check_writable(report_path)
    except (ConfigError, WorldError, ReportError) as exc:
        raise pytest.UsageError(f"fota-conformance: {exc}") from None
    state = config.stash[_KEY] = _Session(config, base_url, world)
    xdist_controller = config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput") \
        and (config.getoption("numprocesses", None) or config.getoption("dist", "no") != "no")
    if xdist_controller:
        config.pluginmanager.register(_XdistController(state), "fota-conformance-xdist")


class FotaCollector(pytest.Collector):
    def collect(self) -> Iterator[pytest.Item]:
        from conformance.spec.rules import RULES

        for rule_id in RULES:
            yield FotaItem.from_parent(self, name=rule_id)


class FotaItem(pytest.Item):
    """One rule (docs/rules.md); passes, fails, skips or warns as the report says."""

    def runtest(self) -> None:
        state = self.config.stash[_KEY]
        report = state.get_report()
        entry = report["rules"][self.name]
        outcome = entry.get("outcome")
        if entry.get("branch"):
            self.user_properties.append(("branch", entry["branch"]))
        self.user_properties.append(("outcome", outcome))
        if outcome == "failed":
            raise _RuleFailed(_describe(self.name, entry, report))
        if outcome == "skipped":
            pytest.skip("; ".join(entry.get("details") or ["skipped"]))
        if outcome == "warned":
            warnings.warn(FotaConformanceWarning(_describe(self.name, entry, report)), stacklevel=1)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> Any:
        if isinstance(excinfo.value, _RuleFailed | _Untestable):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"{_COLLECTOR}::{self.name}"


def _describe(rule_id: str, entry: dict[str, Any], report: dict[str, Any]) -> str:
    lines = [f"{rule_id} ({entry.get('level', '?')}) {entry.get('title', '')} — {entry.get('outcome')}",
             f"target: {report.get('target')}  seed: {report.get('seed')}"]
    from conformance.report.common import doc, finding_lines, safe

    lines.append(f"rule: {doc(rule_id, entry)}")

    findings = entry.get("findings") or []
    # The first findings in full and the last requests of each (the failing one is last): a broken
    # target can produce hundreds; --fota-report-json has them all.
    for f in findings[:5]:
        lines += ["", *finding_lines(f, report.get("seed"), max_repro=3)]
    if len(findings) > 5:
        lines += ["", f"… and {len(findings) - 5} more findings"]
    if not findings:
        lines += [f"  {safe(d)}" for d in entry.get("details", [])]
    return "\n".join(lines)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    # tryfirst: our items must exist before -k/-m deselection (also a modifyitems hook) looks at them.
    if _KEY not in config.stash:
        return
    collector = FotaCollector.from_parent(session, name=_COLLECTOR, nodeid=_COLLECTOR)
    items[:0] = list(collector.collect())


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash.get(_KEY, None)
    if state is None:
        return
    selected = [item.name for item in session.items if isinstance(item, FotaItem)]
    from conformance.spec.rules import RULES

    # Run only the rules still selected; all of them is a full run (None).
    state.rules = selected if len(selected) < len(RULES) else None
    if not selected:
        state.error = "no FOTA rule selected"


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_KEY, None)
    path = session.config.getoption("fota_report_json", None)
    if state is None or state.report is None or not path or hasattr(session.config, "workerinput"):
        return  # under xdist the controller, which ran the suite, writes the report
    from conformance.report.jsonio import write_report

    write_report(state.report, path)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(_KEY, None)
    if state is None or (state.report is None and state.error is None):
        return
    if state.report is not None:
        from conformance.report.common import verdict_line

        terminalreporter.write_line(f"FOTA v1 conformance of {state.base_url}: {verdict_line(state.report)}")
    elif state.error:
        terminalreporter.write_line(state.error)
