"""The README's "Gate your client in CI" examples run as written: each block marked
``<!-- gate-example: FILE -->`` is written to FILE in an empty folder (with an empty HOME), and the
two scripts are run with this installation's ``fota-conformance`` and ``python`` first on PATH.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = re.compile(r"<!-- gate-example: (\S+) -->\n```\w*\n(.*?)```", re.S)


def examples() -> dict[str, str]:
    return dict(EXAMPLE.findall((ROOT / "README.md").read_text(encoding="utf-8")))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name, text in examples().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "home").mkdir()
    return tmp_path


def run(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(folder / "home"),
           "LANG": "C.UTF-8"}
    return subprocess.run(["bash", script], cwd=folder, env=env, capture_output=True, text=True, timeout=240)


def test_the_readme_has_both_examples() -> None:
    assert set(examples()) == {"test_my_client.py", "ci-gate.sh", "test_fota_client.py", "record.sh"}


def test_the_live_gate_example_runs_as_written(folder: Path) -> None:
    result = run("ci-gate.sh", folder)
    assert result.returncode == 0, result.stdout + result.stderr + (folder / "simulator.log").read_text()
    report = json.loads((folder / "client-report.json").read_text())
    assert report["conformant"] is True and report["requests"] == 3
    assert (folder / "client-junit.xml").is_file() and (folder / "client-report.md").is_file()
    assert "CONFORMANT" in (folder / "simulator.out").read_text()


def test_the_live_gate_example_fails_a_faulty_client(folder: Path) -> None:
    client = folder / "test_my_client.py"
    client.write_text(client.read_text().replace('"deviceList": ["990003425730535"]',
                                                 '"devicelist": ["990003425730535"]'))
    result = run("ci-gate.sh", folder)
    assert result.returncode != 0
    report = json.loads((folder / "client-report.json").read_text())
    assert report["rules"]["CLIENT-06"]["outcome"] == "failed"


def test_the_cassette_example_runs_as_written(folder: Path) -> None:
    result = run("record.sh", folder)
    assert result.returncode == 0, result.stdout + result.stderr
    cassette = folder / "cassettes" / "test_fota_client" / "test_schedule_then_cancel.yaml"
    text = cassette.read_text()
    assert "bearer-alpha" not in text and "m2m-alpha" not in text and "Bearer <filtered>" in text
    assert result.stdout.count("2 passed") == 2  # recorded, then replayed
    assert (folder / "client-junit.xml").is_file()
