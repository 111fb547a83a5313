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

__all__ = ["REPORT_KIND", "ClientJudge", "ClientRequest", "judge_cassette", "judge_requests"]


def judge_cassette(path: str | Path) -> dict[str, Any]:
    """Judge the client side of a vcrpy cassette; raises CassetteError for anything not a cassette."""
    from conformance.cassettes import load_cassette

    cassette = load_cassette(path)
    requests = [ClientRequest(ix.method, ix.url, dict(ix.request_headers), ix.request_body, ix.status,
                              dict(ix.response_headers), ix.response_body) for ix in cassette.interactions]
    return judge_requests(requests, target=f"the client recorded in {path}",
                          control_plane=any(r.is_control for r in requests))
