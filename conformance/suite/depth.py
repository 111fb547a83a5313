"""How much input exploration a run does: ``--depth quick|default|thorough``.

Depth only changes how many *inputs* are tried (schema exploration and the boundary table), never
which rules are judged or how: a target conformant at one depth is judged by the same rules at
another, with more or fewer chances to show a bug.

- ``quick`` — a fast smoke gate: random negative examples a tenth of ``Settings.examples``, no
  schemathesis coverage phase, the boundary table without its large inputs.
- ``default`` — the CI gate (a few seconds against the built-in simulator): schemathesis's coverage
  phase (the boundary values openapi.yaml implies, field by field), the whole table, and random
  negative examples a fifth of ``Settings.examples`` — drawing one costs tens of milliseconds of
  Hypothesis and schemathesis work (profiled: the largest cost per request of a default run), and
  the coverage phase and the table now send the systematic negatives.
- ``thorough`` — for a nightly job (minutes): ten times ``Settings.examples`` random negative
  examples, and the table's large inputs at full size (strings up to the simulator's 256 KiB body
  limit, 8,000 devices).

Positive requests (built from the world, ``Settings.examples`` per operation) are the same at
every depth.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEPTHS", "Depth", "depth_of"]


@dataclass(frozen=True, slots=True)
class Depth:
    name: str
    #: Random negative (Hypothesis) examples per operation: ``Settings.examples`` times this.
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
