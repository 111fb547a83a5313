"""How much input exploration a run does: ``--depth quick|default|thorough``.

Depth only changes how many *inputs* are tried (schema exploration and the boundary table), never
which rules are judged or how: a target conformant at one depth is judged by the same rules at
another, with more or fewer chances to show a bug.

- ``quick`` — a fast smoke gate: a fifth of the random examples, no schemathesis coverage phase,
  the boundary table without its large inputs.
- ``default`` — the CI gate (a few seconds against the built-in simulator): the random examples,
  schemathesis's coverage phase (boundary values derived from openapi.yaml) and the whole table.
- ``thorough`` — for a nightly job: ten times the random examples, and the table's large inputs
  at full size (strings up to the simulator's body limit, ten thousand devices).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEPTHS", "Depth", "depth_of"]


@dataclass(frozen=True, slots=True)
class Depth:
    name: str
    #: Random (Hypothesis) examples per operation and mode: ``Settings.examples`` times this.
    examples_factor: float
    #: Whether schemathesis's coverage phase (deterministic boundary values) runs.
    coverage: bool
    #: Size of the table's largest inputs: 0 leaves them out; 1 the default; >1 larger.
    large: int


DEPTHS: dict[str, Depth] = {d.name: d for d in (
    Depth("quick", 0.1, coverage=False, large=0),
    Depth("default", 0.2, coverage=True, large=1),
    Depth("thorough", 10.0, coverage=True, large=4),
)}


def depth_of(name: str) -> Depth:
    """The depth called ``name``; ValueError names the known ones."""
    try:
        return DEPTHS[name]
    except KeyError:
        raise ValueError(f"unknown depth {name!r} (known: {', '.join(DEPTHS)})") from None
