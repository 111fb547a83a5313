"""The client gate: judge what a client sends, rule by rule (the CLIENT rules of
``conformance.spec.client_rules``), with the same JSON report as ``run``.

Two ways in: ``fota-conformance simulate --strict`` feeds every request the simulator receives to a
``ClientJudge``; ``fota-conformance check-cassette --client`` feeds the interactions of a vcrpy
cassette recorded by the client's own tests (``judge_cassette``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.client._judge import REPORT_KIND, ClientJudge, judge_requests
from conformance.client._observed import ClientRequest

__all__ = ["REPORT_KIND", "ClientJudge", "ClientRequest", "judge_cassette", "judge_requests", "vcr_filter_headers"]

#: What a filtered credential reads in a cassette (the same placeholder as our own cassettes).
FILTERED = "<filtered>"


def _keep_scheme(key: str, value: str, request: object) -> str:
    scheme, sep, _token = value.strip().partition(" ")
    return f"{scheme} {FILTERED}" if sep else FILTERED


def vcr_filter_headers() -> list[tuple[str, Any]]:
    """vcrpy's ``filter_headers`` for a client's cassette: the tokens never reach the file, but the
    headers stay, and Authorization keeps its scheme, so ``check-cassette --client`` can still judge
    CLIENT-01 and CLIENT-02 (vcrpy's plain ``filter_headers=["authorization"]`` drops the header, and
    a cassette cannot tell a dropped header from one never sent)."""
    return [("authorization", _keep_scheme), ("vz-m2m-token", FILTERED)]


def judge_cassette(path: str | Path) -> dict[str, Any]:
    """Judge the client side of a vcrpy cassette; raises CassetteError for anything not a cassette."""
    from conformance.cassettes import load_cassette

    cassette = load_cassette(path)
    requests = [ClientRequest(ix.method, ix.url, dict(ix.request_headers), ix.request_body, ix.status,
                              dict(ix.response_headers), ix.response_body) for ix in cassette.interactions]
    return judge_requests(requests, target=f"the client recorded in {path}",
                          control_plane=any(r.is_control for r in requests))
