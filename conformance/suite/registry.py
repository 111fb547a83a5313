"""The check registry: checks are plain functions, registered with the rules they enforce.

    @check("PUT-04", needs_control=True)
    def append_after_start_is_refused(ctx: Ctx) -> None: ...

The runner runs every registered check whose rules are selected; a check that needs the control
plane is skipped (its rules reported ``skipped`` with the reason) against targets without one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from conformance.spec.rules import rule
from conformance.suite.context import Ctx

__all__ = ["CHECKS", "CheckFn", "CheckSpec", "check", "checks_for", "load_checks"]

CheckFn = Callable[[Ctx], None]

#: The rule families, in the order the runner runs them (cheap and stateless first).
FAMILIES = ("wire", "auth", "post", "put", "lifecycle", "sim", "schema", "inputs", "stateful")


@dataclass(frozen=True, slots=True)
class CheckSpec:
    name: str
    rules: tuple[str, ...]
    func: CheckFn
    #: Needs the control plane (a clock and world loading) to run at all.
    needs_control: bool
    #: Start from a freshly loaded world (control plane) — most checks want one.
    fresh_world: bool
    doc: str


CHECKS: dict[str, CheckSpec] = {}


def check(*rules: str, needs_control: bool = False, fresh_world: bool = True) -> Callable[[CheckFn], CheckFn]:
    for rule_id in rules:
        rule(rule_id)  # fail at import time on a typo, not silently at run time
    if not rules:
        raise ValueError("a check must name the rules it enforces")

    def register(func: CheckFn) -> CheckFn:
        name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"
        if name in CHECKS and not _same_definition(CHECKS[name].func, func):
            raise ValueError(f"check {name} registered twice")
        CHECKS[name] = CheckSpec(name=name, rules=tuple(rules), func=func, needs_control=needs_control,
                                 fresh_world=fresh_world, doc=(func.__doc__ or "").strip().split("\n")[0])
        return func

    return register


def _same_definition(old: CheckFn, new: CheckFn) -> bool:
    """The same source definition imported again — not two checks of one name. A host may drop
    check modules from ``sys.modules`` and import them anew (pytest's pytester does, around every
    in-process run), while this registry lives on: the new function then takes the old one's place."""
    return (old.__code__.co_filename, old.__code__.co_firstlineno) == (new.__code__.co_filename,
                                                                       new.__code__.co_firstlineno)


def load_checks() -> dict[str, CheckSpec]:
    """Import every check module (registration happens at import) and return the registry."""
    for family in FAMILIES:
        try:
            importlib.import_module(f"conformance.suite.checks.{family}")
        except ModuleNotFoundError as exc:
            if exc.name != f"conformance.suite.checks.{family}":
                raise
    return CHECKS


def checks_for(rule_id: str) -> list[CheckSpec]:
    """Every check that names ``rule_id``, in run order. The rules of ``toolkit.UNIVERSAL_RULES``
    (WIRE-01, WIRE-02, POST-02, PUT-07) are also judged by ``ctx.calls`` inside every check."""
    rule(rule_id)  # KeyError naming an unknown id
    return [spec for spec in load_checks().values() if rule_id in spec.rules]
