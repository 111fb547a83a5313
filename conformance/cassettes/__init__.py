"""Recorded conversations: record a run as a vcrpy cassette, and judge a cassette offline.

``record(path, secrets=...)`` wraps anything that talks HTTP through httpx (``run_suite``, the
suite's ``Client``) and writes a vcrpy YAML cassette with every token filtered out;
``check_cassette(path)`` judges a cassette (also a schemathesis VCR file) with no network and returns
a report shaped like
``run_suite``'s. Bad input is a ``CassetteError`` with a one-line message (the CLI's exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.cassettes._format import (
    FORMAT_VERSION,
    METADATA_KEY,
    PLACEHOLDER,
    SCHEMATHESIS,
    CassetteError,
    Interaction,
    RecordedCassette,
    load_cassette,
)
from conformance.cassettes._judge import JUDGED, NOT_OBSERVABLE, judge
from conformance.cassettes._record import Recording, record

__all__ = [
    "FORMAT_VERSION",
    "JUDGED",
    "METADATA_KEY",
    "NOT_OBSERVABLE",
    "PLACEHOLDER",
    "SCHEMATHESIS",
    "CassetteError",
    "Interaction",
    "RecordedCassette",
    "Recording",
    "check_cassette",
    "load_cassette",
    "record",
]


def check_cassette(path: str | Path) -> dict[str, Any]:
    """Judge the recorded conversation at ``path``; raises CassetteError for anything not a cassette."""
    return judge(load_cassette(path))
