"""Where Hypothesis keeps its files during a run: a private scratch folder, removed afterwards.

Left alone, Hypothesis writes a ``.hypothesis/`` folder into the *current working directory* (its
example database, the string constants it collects from local source files, and Unicode tables). A
conformance run must leave nothing in the user's folder but the reports asked for, and a fresh CI
machine must not pay for tables it will throw away, so every run uses a scratch folder:

- the suite never replays examples from a database (``database=None`` everywhere): the same seed
  gives the same requests, whatever ran before on this machine;
- the one expensive table is the set of characters the UTF-8 codec can encode, which Hypothesis
  computes by trying all 1,114,112 code points (about 1.5 s and 200 MB of peak memory on the first
  run in a folder; ``st.text()`` inside schemathesis needs it). That set is a fact of Unicode —
  every code point but the surrogates — so it is written into the scratch folder, in Hypothesis's
  own cache format, before anything is generated. Were the format to change, Hypothesis would
  ignore the file and compute the table itself: slower, never wrong.

- Hypothesis also mines string and number constants from the source of every *local* module
  loaded (code outside site-packages: this package, in an editable install) and mixes them into
  what it draws. The suite opts out (``forget_local_constants``): the same seed then draws the same
  requests from a wheel and from an editable install, and a run does not parse its own source
  (half a second of a default run, profiled). Were that internal to move, Hypothesis would mine
  as before: slower and install-dependent, never wrong.

The folder is process-wide and reference-counted (the mutation-score script runs several suites in
threads); the previous Hypothesis home is restored when the last run ends, so a pytest session that
uses Hypothesis for its own tests keeps its database where it was.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

__all__ = ["forget_local_constants", "hypothesis_scratch"]

_lock = threading.Lock()
_users = 0
_previous: Path | None = None
_folder: Path | None = None

#: Code points UTF-8 can encode (all but the surrogates U+D800–U+DFFF), and none that fail to
#: round-trip: Hypothesis's ``(encodable, non_roundtrip)`` interval pair for the codec.
_UTF8_TABLE = [[[0, 0xD7FF], [0xE000, sys.maxunicode]], []]


def _seed_unicode_tables() -> None:
    from hypothesis.internal.charmap import charmap_file

    path = charmap_file("codec-v2-utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=1) as f:
        f.write(json.dumps(_UTF8_TABLE).encode())


def forget_local_constants() -> None:
    """Mark every module loaded so far as already mined for constants (see the module docstring)."""
    from hypothesis.internal.conjecture import providers

    seen = getattr(providers, "_seen_modules", None)
    if isinstance(seen, set) and hasattr(providers, "_sys_modules_len"):
        modules = list(sys.modules.values())
        seen.update(id(m) for m in modules)
        providers._sys_modules_len = len(modules)


@contextmanager
def hypothesis_scratch() -> Iterator[None]:
    """Run the body with Hypothesis's home in a fresh scratch folder (see the module docstring)."""
    global _users, _previous, _folder
    from hypothesis import configuration

    with _lock:
        if _users == 0:
            _previous = configuration.storage_directory(intent_to_write=False).home_directory
            _folder = Path(tempfile.mkdtemp(prefix="fota-conformance-hypothesis-"))
            configuration.set_hypothesis_home_dir(_folder)
            with suppress(Exception):  # an internal of Hypothesis moved: it computes the table itself
                _seed_unicode_tables()
        forget_local_constants()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                configuration.set_hypothesis_home_dir(_previous)
                if _folder is not None:
                    shutil.rmtree(_folder, ignore_errors=True)
                _folder = None
