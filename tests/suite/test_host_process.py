"""A run borrows process-wide state to go faster (conformance/suite/scratch.py, runner._frozen_heap):
Hypothesis's home folder and its lambda descriptions, and the garbage collector's view of the heap.
The pytest plugin and any harness run the suite inside their own process, so every run hands all
of it back as it found it — also when it ends on an error."""

from __future__ import annotations

import gc

import pytest
from hypothesis import configuration
from hypothesis.internal import lambda_sources

from conformance.suite.context import Settings
from conformance.suite.runner import RunInterrupted, run_suite


def _state() -> tuple[object, object, int]:
    return (configuration.storage_directory(intent_to_write=False).home_directory,
            lambda_sources.lambda_description, gc.get_freeze_count())


def test_a_run_hands_back_what_it_borrowed(clean_url: str) -> None:
    before = _state()
    seen: dict[str, object] = {}

    def progress(name: str, index: int, total: int, phase: str) -> None:
        if phase == "start" and name.startswith("schema."):
            seen.update(describe=lambda_sources.lambda_description, frozen=gc.get_freeze_count())

    report = run_suite(clean_url, settings=Settings(depth="quick"), rules=["POST-03"], progress=progress)
    assert report["conformant"]
    assert seen["describe"] is not before[1] and isinstance(seen["frozen"], int) and seen["frozen"] > 0
    assert _state() == before


def test_an_interrupted_run_hands_it_back_too(clean_url: str) -> None:
    before = _state()

    def interrupt(name: str, index: int, total: int, phase: str) -> None:
        if phase == "start" and name.startswith("schema."):
            raise KeyboardInterrupt  # as Ctrl-C in the middle of the run

    with pytest.raises(RunInterrupted):
        run_suite(clean_url, settings=Settings(depth="quick"), rules=["POST-03"], progress=interrupt)
    assert _state() == before


def test_a_host_that_imports_the_check_modules_again_keeps_one_registry() -> None:
    """pytest's pytester drops modules first imported inside an in-process run; the registry
    outlives them, so the same definitions registering again replace themselves — while a
    different function under a check's name is still refused."""
    import importlib
    import sys

    from conformance.suite import registry

    registry.load_checks()
    before = set(registry.CHECKS)
    sys.modules.pop("conformance.suite.checks.wire")
    importlib.import_module("conformance.suite.checks.wire")  # the same definitions, a new module
    assert set(registry.CHECKS) == before

    def every_operation_answers_json(ctx: object) -> None:  # another function under a wire check's name
        """Not the registered one."""

    every_operation_answers_json.__module__ = "conformance.suite.checks.wire"
    with pytest.raises(ValueError, match="registered twice"):
        registry.check("WIRE-01")(every_operation_answers_json)  # type: ignore[arg-type]
