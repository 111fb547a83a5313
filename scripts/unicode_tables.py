"""Write the Unicode category table of the running Python into conformance/suite/unicode/.

    python3.12 scripts/unicode_tables.py     # one file per Unicode version: charmap-15.0.0.json.gz

Hypothesis needs, before it draws its first string, the table of which code points fall in which
Unicode category; it computes it by asking ``unicodedata.category`` about all 1,114,112 code points
(0.2 s of a default run, profiled) and would cache it in a ``.hypothesis/`` folder that a run does
not keep. The table is a fact of the Unicode version the interpreter ships, so the package carries
it, per version, and ``conformance.suite.scratch`` puts it where Hypothesis looks. Standard library
only, so that any installed interpreter can write its version's table; the format is Hypothesis's
own (``tests/suite/test_fresh_machine.py`` compares the shipped table with Hypothesis's computation).
"""

from __future__ import annotations

import gzip
import json
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "conformance" / "suite" / "unicode"


def table() -> list[tuple[str, list[tuple[int, int]]]]:
    """Maximal runs of code points of one category, grouped by category, sorted by category."""
    runs: dict[str, list[tuple[int, int]]] = {}
    last, start = unicodedata.category(chr(0)), 0
    for i in range(1, sys.maxunicode + 1):
        cat = unicodedata.category(chr(i))
        if cat != last:
            runs.setdefault(last, []).append((start, i - 1))
            last, start = cat, i
    runs.setdefault(last, []).append((start, sys.maxunicode))
    return sorted(runs.items())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"charmap-{unicodedata.unidata_version}.json.gz"
    with gzip.GzipFile(path, "wb", mtime=1) as f:  # mtime fixed: the same bytes on every machine
        f.write(json.dumps(table()).encode())
    print(f"wrote {path.relative_to(OUT.parents[2])} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
