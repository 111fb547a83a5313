"""A fresh machine: an empty working folder, an empty HOME, an empty temporary folder.

``fota-conformance run`` must leave nothing behind but the reports asked for — no ``.hypothesis/``
example database or Unicode tables in the user's folder, nothing in HOME, no scratch folder in the
temporary folder — and the same seed must send the same generated requests from any fresh start.
(Peak memory on such a machine is measured by ``benchmarks/bench_suite.py``, not asserted here.)
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "conformance" / "suite" / "unicode"


def _fresh_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    work, home, tmp = (tmp_path / name for name in ("work", "home", "tmp"))
    for folder in (work, home, tmp):
        folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HYPOTHESIS", "XDG_"))}
    # Run from the checkout without installing (PYTHONPATH), as the CI's editable install does.
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=str(ROOT))
    return work, env


@pytest.mark.slow
def test_a_run_leaves_only_the_reports_asked_for(tmp_path: Path) -> None:
    work, env = _fresh_env(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "conformance", "run", "-q", "--depth", "quick",
                           "--report-json", "report.json", "--markdown", "report.md"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in work.iterdir()) == ["report.json", "report.md"]
    assert list((tmp_path / "home").iterdir()) == []
    assert list((tmp_path / "tmp").iterdir()) == []
    report = json.loads((work / "report.json").read_text(encoding="utf-8"))
    assert report["depth"] == "quick" and report["settings"]["depth"] == "quick"
    assert "depth quick" in (work / "report.md").read_text(encoding="utf-8")


_GENERATE = """
import hashlib, json, sys
from conformance.suite.checks import schema as s
from conformance.suite.scratch import hypothesis_scratch
with hypothesis_scratch():
    seed = int(sys.argv[1])
    cases = [c for path, method in (("/upgrades", "POST"), (s._ITEM, "PUT"), (s._ITEM, "GET"))
             for c in (*s._negative_cases(path, method, 8, seed), *s._coverage_cases(path, method),
                       *s._positive_cases(path, method, 3, seed))]
def body(c):  # "no body" is an object whose repr carries its address
    return c.body if isinstance(c.body, (dict, list, str, int, float, bool, type(None))) else type(c.body).__name__
print(hashlib.sha256(json.dumps([[c.method, body(c), dict(c.path_parameters or {}), dict(c.headers or {})]
                                 for c in cases], default=repr).encode()).hexdigest())
"""


#: The same generation with Hypothesis describing lambdas from their source, as it does by default.
_DESCRIBING_LAMBDAS = "import conformance.suite.scratch as m; m._describe_lambdas_cheaply = lambda on: None\n"


def _generate(tmp_path: Path, seed: int, prelude: str = "") -> str:
    work, env = _fresh_env(tmp_path / f"run-{len(list(tmp_path.iterdir()))}")
    proc = subprocess.run([sys.executable, "-c", prelude + _GENERATE, str(seed)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert list(work.iterdir()) == []
    return proc.stdout.strip()


def test_the_same_seed_generates_the_same_requests_from_any_fresh_start(tmp_path: Path) -> None:
    first = _generate(tmp_path, 7)
    assert _generate(tmp_path, 7) == first
    assert _generate(tmp_path, 8) != first


def test_describing_lambdas_cheaply_changes_no_generated_request(tmp_path: Path) -> None:
    """suite/scratch.py: only the text naming a strategy changes, never a drawn value."""
    assert _generate(tmp_path, 7, _DESCRIBING_LAMBDAS) == _generate(tmp_path, 7)


def test_the_shipped_unicode_category_table_is_the_one_hypothesis_computes(tmp_path: Path) -> None:
    """The package's category table for this interpreter's Unicode version (suite/scratch.py) holds
    exactly what Hypothesis would compute itself: seeding it changes no generated value."""
    import unicodedata

    shipped = TABLES / f"charmap-{unicodedata.unidata_version}.json.gz"
    if not shipped.is_file():
        pytest.skip(f"no table for Unicode {unicodedata.unidata_version}: run scripts/unicode_tables.py")
    work, env = _fresh_env(tmp_path)  # a fresh Hypothesis home: nothing cached, the table is computed
    code = "import json; from hypothesis.internal.charmap import charmap; print(json.dumps(sorted(charmap().items())))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(gzip.decompress(shipped.read_bytes())) == json.loads(proc.stdout)


def test_a_run_seeds_the_category_table_instead_of_computing_it() -> None:
    import unicodedata

    from hypothesis.internal.charmap import charmap_file

    from conformance.suite.scratch import hypothesis_scratch

    shipped = TABLES / f"charmap-{unicodedata.unidata_version}.json.gz"
    if not shipped.is_file():
        pytest.skip(f"no table for Unicode {unicodedata.unidata_version}: run scripts/unicode_tables.py")
    with hypothesis_scratch():
        assert charmap_file().read_bytes() == shipped.read_bytes()
