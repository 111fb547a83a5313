"""The client judge: requests in, the same JSON report as ``run`` out (rule by rule, CLIENT rules).

``ClientJudge`` is fed one request at a time (the simulator calls ``observe`` from its request
threads; a cassette is fed in order) and can produce a report at any moment (the simulator's
``GET /__control/client-report`` and the report written when it stops). ``judge_requests`` is the
pure form: a sequence in, a report out.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from conformance.client._checks import CHECKS, Seen, observe_answer
from conformance.client._observed import ClientRequest
from conformance.spec.client_rules import CLIENT_RULES
from conformance.spec.world import WorldError, parse_instant
from conformance.suite.results import REPORT_VERSION, Outcome, Results, mask_all, rule_entries, summary

__all__ = ["REPORT_KIND", "ClientJudge", "judge_requests"]

#: ``kind`` of a client report (a server report has none): renderers and validate_report key on it.
REPORT_KIND: Final = "client"
#: Secrets shorter than this are masked in headers only: replacing a 3-letter "token" everywhere in a
#: report would garble it, and nothing that short is a real credential.
MIN_SECRET = 6
NOTHING_SEEN: Final = "no call of the four FOTA v1 operations was seen"
TIMEOUTS: Final = ("partly untested: a repeat after a timeout (a server cannot see that the client gave up, "
                   "and a recording holds no interaction without an answer)")
#: Why a rule had nothing to judge, when other calls were seen.
NOT_APPLICABLE: Final = {
    "CLIENT-01": NOTHING_SEEN,
    "CLIENT-02": "no call carried an Authorization header",
    "CLIENT-03": "no POST or PUT was sent",
    "CLIENT-04": "no schedule request (POST) with a JSON object body was sent",
    "CLIENT-05": "no add/remove request (PUT) with a JSON object body was sent",
    "CLIENT-06": "no POST or PUT with a JSON object body was sent",
    "CLIENT-07": "no schedule request with a YYYY-MM-DD startDate was sent",
    "CLIENT-08": "no PUT or DELETE of a campaign the client had been shown",
    "CLIENT-09": "no schedule request was answered with a 5xx (a timeout is invisible to a server and absent "
                 "from a recording)",
    "CLIENT-10": "no request was refused with a 4xx",
}


class ClientJudge:
    """Judges every request it is shown against the CLIENT rules; thread-safe."""

    def __init__(self, *, target: str, control_plane: bool, secrets: Iterable[str] = ()) -> None:
        self.target = target
        self.control_plane = control_plane
        self._lock = threading.Lock()
        self._results = Results(secrets=[s for s in secrets if len(s) >= MIN_SECRET], catalogue=CLIENT_RULES)
        self._seen = Seen()
        self._started = time.monotonic()
        self._judged = 0
        self._other: dict[str, int] = {}
        self._secrets: set[str] = {s for s in secrets if len(s) >= MIN_SECRET}

    @property
    def judged(self) -> int:
        """How many API calls (of the four operations) have been judged."""
        with self._lock:
            return self._judged

    def observe(self, req: ClientRequest) -> None:
        with self._lock:
            if req.is_control:
                self._clock_from(req)
                return
            secrets = {s for s in req.secrets() if len(s) >= MIN_SECRET}
            self._secrets |= secrets
            self._results.add_secrets(secrets)
            if req.now is not None:
                self._seen.clock = req.now
            op = req.operation()
            if op is None:
                self._looked(req)
                key = f"{req.method} {req.path}"
                self._other[key] = self._other.get(key, 0) + 1
                return
            self._judged += 1
            for check in CHECKS:
                check(self._results, req, op, self._seen)
            observe_answer(req, op, self._seen)

    def _looked(self, req: ClientRequest) -> None:
        """Any GET under a path naming an account counts as a look at it (CLIENT-09), e.g. the vendor's
        ``GET /reports/{account}/status/{status}/index/{i}``."""
        if req.method != "GET":
            return
        parts = set(req.path.split("/"))
        self._seen.failed_posts = [(k, r) for k, r in self._seen.failed_posts if k[0] not in parts]

    def _clock_from(self, req: ClientRequest) -> None:
        """The simulator's clock as the recording shows it: the answers of /__control/clock, and the
        ``now`` of a world loaded with PUT /__control/world."""
        if req.status is None or not 200 <= req.status < 300:
            return
        source: Any = req.answer_data if req.path.endswith("/__control/clock") else None
        if req.path.endswith("/__control/world") and req.method == "PUT" and req.body:
            try:
                source = json.loads(req.body)
            except (ValueError, RecursionError):
                source = None
        if isinstance(source, dict) and isinstance(source.get("now"), str):
            with contextlib.suppress(WorldError, OverflowError):  # not a clock: no evidence of one
                self._seen.clock = parse_instant(source["now"], where="now")

    def report(self) -> dict[str, Any]:
        with self._lock:
            judged, other = self._judged, dict(self._other)
            secrets = set(self._secrets)
            verdicts = self._results.verdicts()
        for rule_id, verdict in verdicts.items():
            if verdict.outcome is Outcome.SKIPPED and verdict.details == [Results.NOTHING_EXERCISED]:
                verdict.details = [NOTHING_SEEN if judged == 0 else NOT_APPLICABLE[rule_id]]
            if rule_id == "CLIENT-09" and verdict.outcome is not Outcome.SKIPPED:
                verdict.details.append(TIMEOUTS)
        notes = [f"{n} × {what}" for what, n in sorted(other.items())]
        report: dict[str, Any] = {
            "report_version": REPORT_VERSION,
            "suite_version": _version(),
            "kind": REPORT_KIND,
            "conformant": not any(v.outcome is Outcome.FAILED for v in verdicts.values()),
            "target": self.target,
            "control_plane": self.control_plane,
            "seed": None,
            "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_s": round(time.monotonic() - self._started, 3),
            "requests": judged,
            "not_judged": notes,
            "summary": summary(verdicts),
            "checks": [],
            "suite_errors": [],
            "rules": rule_entries(verdicts, CLIENT_RULES),
        }
        masked: dict[str, Any] = mask_all(report, secrets)
        return masked


def _version() -> str:
    from conformance import __version__  # deferred: the package __init__ imports a lot

    return __version__


def judge_requests(requests: Iterable[ClientRequest], *, target: str, control_plane: bool = False,
                   secrets: Iterable[str] = ()) -> dict[str, Any]:
    """Judge a finished sequence of requests (in the order they were sent); returns the report."""
    judge = ClientJudge(target=target, control_plane=control_plane, secrets=secrets)
    for req in requests:
        judge.observe(req)
    return judge.report()
