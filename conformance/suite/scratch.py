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
- the second table maps Unicode categories to code points; Hypothesis computes it by asking
  about every code point too (0.2 s of every default run, profiled). It is a fact of the Unicode
  version of the interpreter, so the package carries it per version (``suite/unicode/``, written
  by ``scripts/unicode_tables.py``) and it is put in the scratch folder the same way; for a
  Unicode version the package does not carry, Hypothesis computes it.

- Hypothesis also mines string and number constants from the source of every *local* module
  loaded (code outside site-packages: this package, in an editable install) and mixes them into
  what it draws. The suite opts out (``forget_local_constants``): the same seed then draws the same
  requests from a wheel and from an editable install, and a run does not parse its own source
  (half a second of a default run, profiled). Were that internal to move, Hypothesis would mine
  as before: slower and install-dependent, never wrong.

- Hypothesis describes every ``lambda`` a strategy is filtered or mapped with by finding it in
  its source file: it parses the whole file, and schemathesis's coverage phase filters with
  lambdas from a 4,500-line module (0.15 s of a default run, profiled). Those descriptions only
  name strategies in Hypothesis's own error messages, which a run never shows (it reports
  requests and answers), so during a run a lambda is described by its signature alone
  (``lambda x: <unknown>``, Hypothesis's own text when it cannot find a source).

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
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from inspect import signature
from pathlib import Path
from typing import Any

__all__ = ["forget_local_constants", "hypothesis_scratch"]

_lock = threading.Lock()
_users = 0
_previous: Path | None = None
_folder: Path | None = None
_describe_lambda: Callable[[Any], str] | None = None

#: Code points UTF-8 can encode (all but the surrogates U+D800–U+DFFF), and none that fail to
#: round-trip: Hypothesis's ``(encodable, non_roundtrip)`` interval pair for the codec.
_UTF8_TABLE = [[[0, 0xD7FF], [0xE000, sys.maxunicode]], []]


#: The category tables the package carries, one per Unicode version (scripts/unicode_tables.py).
_CATEGORY_TABLES = Path(__file__).parent / "unicode"


def _seed_unicode_tables() -> None:
    from hypothesis.internal.charmap import charmap_file

    path = charmap_file("codec-v2-utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=1) as f:
        f.write(json.dumps(_UTF8_TABLE).encode())
    categories = _CATEGORY_TABLES / f"charmap-{unicodedata.unidata_version}.json.gz"
    if categories.is_file():
        shutil.copyfile(categories, charmap_file())


def _signature_only(f: Any) -> str:
    try:
        return f"lambda {str(signature(f))[1:-1]}: <unknown>"
    except (TypeError, ValueError):
        return "lambda: <unknown>"


def _describe_lambdas_cheaply(on: bool) -> None:
    """Swap Hypothesis's lambda description for ``_signature_only`` and back (module docstring)."""
    global _describe_lambda
    from hypothesis.internal import lambda_sources

    if not callable(getattr(lambda_sources, "lambda_description", None)):
        return  # moved: Hypothesis describes lambdas as before, slower, never wrong
    if on:
        _describe_lambda = lambda_sources.lambda_description
        setattr(lambda_sources, "lambda_description", _signature_only)  # noqa: B010
    elif _describe_lambda is not None:
        setattr(lambda_sources, "lambda_description", _describe_lambda)  # noqa: B010
        _describe_lambda = None


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
            _describe_lambdas_cheaply(True)
        forget_local_constants()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                configuration.set_hypothesis_home_dir(_previous)
                _describe_lambdas_cheaply(False)
                if _folder is not None:
                    shutil.rmtree(_folder, ignore_errors=True)
                _folder = None
