"""Is there a FOTA API at this base URL at all?

A wrong base URL — the server root when the API lives under ``/api/fota/v1``, one path segment
too many or too few — used to be tested like a target: every operation answered the web server's
404 page, and the run reported a wall of failed rules (exit 1) for what is a configuration
mistake. Before a run without a control plane starts, two requests without credentials ask the
target: ``POST /upgrades`` and ``GET`` of an upgrade. Any implementation of the API, however
broken, answers the first from its routes — it names no upgrade that could be unknown, so 401
(no credentials) or 400, never 404; only when *both* answers say "no such route" is the base URL
wrong.

"No such route" is a 404, 405 or 501, or a redirect (whatever the body: a web server's page,
a framework's ``{"detail": "Not Found"}``, or an API's own error body for a path it does not
serve), or the vendor gateway's "No matching resource found in the API" fault (code 900906).
A genuine implementation that answers one of the two with 404 still gets a verdict: one
"route" answer is enough to go on.
"""

from __future__ import annotations

from conformance.suite.http import Client, Exchange

__all__ = ["missing_api"]

#: What the vendor's base URL looks like, for the message.
VENDOR_BASE = "https://thingspace.verizon.com/api/fota/v1"
_PROBES = (("POST", "/upgrades", b"{}"),
           ("GET", "/upgrades/0000000000-00000/upgrade/00000000-0000-4000-8000-000000000000", None))


def missing_api(client: Client) -> str | None:
    """Why nothing at the client's base URL looks like the API (one line), or None when something does."""
    seen: list[str] = []
    for method, path, body in _PROBES:
        ex = client.send(method, path, content=body, creds=None, content_type="application/json" if body else None)
        if ex.status is None or not _no_route(ex):
            return None
        seen.append(f"{method} {path} answered {ex.status} {ex.content_type or '(no Content-Type)'}")
    return (f"no FOTA API at {client.base_url}: {'; '.join(seen)} — the base URL is the part before "
            f"/upgrades (the vendor's is {VENDOR_BASE})")


def _no_route(ex: Exchange) -> bool:
    assert ex.status is not None
    data = ex.data
    if isinstance(data, dict) and isinstance(data.get("fault"), dict):
        return str(data["fault"].get("code")) == "900906"
    return ex.status in (404, 405, 501) or 300 <= ex.status < 400
