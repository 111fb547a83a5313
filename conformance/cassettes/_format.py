"""What a cassette of ours is, and reading one back: vcrpy's YAML format plus one marker of our own;
also the VCR files that schemathesis writes (``st run --report vcr``).

vcrpy stores ``version: 1`` (its own format) at the top of every cassette, and since 9.x an
optional ``metadata`` mapping that it saves and loads untouched. Our marker lives there
(``metadata: {fota-conformance: {format: 1}}``): vcrpy and pytest-recording still load the file as
an ordinary cassette, and we can refuse a cassette written by a newer version of this tool instead
of misjudging it. A plain vcrpy cassette without the marker (say, recorded by pytest-recording around
someone's own client) is still accepted: only a marker we do not know is an error.

schemathesis writes the Ruby-VCR layout instead (``http_interactions`` at the top, each with
``request {uri, method, headers, body {string | base64_string}}`` and ``response {status {code},
headers, body}`` or ``response: null`` when no answer came back; status codes are quoted strings;
credential headers are "[Filtered]"). We read that too, so a schemathesis run can be judged and
replayed by our rules; an interaction without a response is left out (there is nothing to judge)
and counted in ``RecordedCassette.unanswered``. Its ``command`` line is never copied: it is the
one place a token given on ``st run``'s command line could survive.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import yaml
from vcr.serialize import CASSETTE_FORMAT_VERSION
from vcr.serialize import deserialize as vcr_deserialize
from vcr.serializers import yamlserializer

from conformance.suite.http import Exchange

__all__ = [
    "FORMAT_VERSION",
    "METADATA_KEY",
    "PLACEHOLDER",
    "SCHEMATHESIS",
    "VCR_FORMAT_VERSION",
    "CassetteError",
    "Interaction",
    "RecordedCassette",
    "load_cassette",
]

#: Our own format marker, bumped when what we write (or how check_cassette reads it) changes.
FORMAT_VERSION: Final = 1
#: The key of our marker inside vcrpy's ``metadata`` mapping.
METADATA_KEY: Final = "fota-conformance"
#: vcrpy's cassette format; the only one this tool reads.
VCR_FORMAT_VERSION: Final[int] = CASSETTE_FORMAT_VERSION
#: What every credential header and every known secret is replaced with in a cassette.
PLACEHOLDER: Final = "<filtered>"
#: The ``kind`` of a cassette read from a schemathesis VCR file (vcrpy's own: "vcrpy").
SCHEMATHESIS: Final = "schemathesis"


class CassetteError(Exception):
    """A file that is not a cassette this tool can judge. The message is one line (CLI exit 2)."""

    def __init__(self, message: str) -> None:
        # One line whatever the cause: YAML and vcrpy errors span several lines.
        super().__init__(" ".join(message.split()))


@dataclass(frozen=True, slots=True)
class Interaction:
    """One recorded request and its response, in plain types."""

    index: int
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    response_headers: dict[str, str]  # keys lower-cased, like Exchange's
    response_body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def request_data(self) -> Any:
        """The parsed JSON request body; None when absent or not JSON."""
        try:
            return json.loads(self.request_body) if self.request_body else None
        except (ValueError, RecursionError):  # the suite sends absurdly nested JSON on purpose (WIRE-02)
            return None

    def exchange(self) -> Exchange:
        """The suite's record of an exchange, so Results can quote it (as a curl line) like the suite."""
        return Exchange(self.method, self.url, dict(self.request_headers), self.request_body, self.status,
                        dict(self.response_headers), self.response_body)


@dataclass(frozen=True, slots=True)
class RecordedCassette:
    path: Path
    interactions: list[Interaction]
    #: vcrpy's metadata mapping (our marker included), {} when the cassette has none.
    metadata: dict[str, Any] = field(default_factory=dict)
    #: "vcrpy", or SCHEMATHESIS for a file written by ``st run --report vcr``.
    kind: str = "vcrpy"
    #: Recorded requests that got no response (schemathesis records those too); not in ``interactions``.
    unanswered: int = 0

    @property
    def format(self) -> int | None:
        """Our format version, None for a plain vcrpy cassette without our marker."""
        marker = self.metadata.get(METADATA_KEY)
        return marker.get("format") if isinstance(marker, dict) else None


def _one_value(values: object) -> str:
    # vcrpy stores every header as a list of values (a header may repeat); join them as HTTP would.
    if isinstance(values, list | tuple):
        return ", ".join(str(v) for v in values)
    return str(values)


def _as_bytes(body: object) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise TypeError(f"a body of type {type(body).__name__}")


def _check_shape(name: str, data: object) -> list[Any]:
    """The interactions list of a vcrpy cassette; CassetteError naming the first thing that is off."""
    if not isinstance(data, dict):
        raise CassetteError(f"{name}: not a vcrpy cassette (the YAML is a {type(data).__name__}, not a mapping)")
    if "interactions" not in data or "version" not in data:
        raise CassetteError(f"{name}: not a vcrpy cassette (no 'version' and 'interactions' at the top)")
    version = data["version"]
    if version != VCR_FORMAT_VERSION:
        raise CassetteError(f"{name}: vcrpy cassette format version {version!r} is not supported "
                            f"(this tool reads version {VCR_FORMAT_VERSION})")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise CassetteError(f"{name}: not a vcrpy cassette ('metadata' is not a mapping)")
    marker = metadata.get(METADATA_KEY)
    if marker is not None:
        fmt = marker.get("format") if isinstance(marker, dict) else None
        if not isinstance(fmt, int) or isinstance(fmt, bool) or not 1 <= fmt <= FORMAT_VERSION:
            raise CassetteError(f"{name}: fota-conformance cassette format {fmt!r} is not supported "
                                f"(this tool reads formats 1..{FORMAT_VERSION}; a newer tool wrote it?)")
    interactions = data["interactions"]
    if not isinstance(interactions, list):
        raise CassetteError(f"{name}: not a vcrpy cassette ('interactions' is not a list)")
    for i, item in enumerate(interactions):
        request = item.get("request") if isinstance(item, dict) else None
        response = item.get("response") if isinstance(item, dict) else None
        ok = (isinstance(request, dict) and {"method", "uri", "body", "headers"} <= request.keys()
              and isinstance(response, dict) and isinstance(response.get("status"), dict)
              and isinstance(response["status"].get("code"), int)
              and isinstance(response.get("headers"), dict) and isinstance(response.get("body"), dict))
        if not ok:
            raise CassetteError(f"{name}: not a vcrpy cassette (interaction {i} lacks a request "
                                "{method, uri, body, headers} or a response {status.code, headers, body})")
    return interactions


def load_cassette(path: str | Path) -> RecordedCassette:
    """Read a cassette with vcrpy's own YAML loader and deserializer; every problem is a CassetteError."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise CassetteError(f"{name}: no such cassette file")
    if not p.is_file():
        raise CassetteError(f"{name}: not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{name}: not a cassette (not UTF-8 text)") from None
    except OSError as exc:
        raise CassetteError(f"cannot read cassette {name}: {exc.strerror or exc}") from None
    try:
        # vcrpy's safe loader: the same one replay uses, so "loads here" means "vcrpy can replay it".
        data = yamlserializer.deserialize(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise CassetteError(f"{name}: not YAML ({getattr(exc, 'problem', None) or type(exc).__name__}{where})") \
            from None
    if isinstance(data, dict) and "http_interactions" in data and "interactions" not in data:
        return _load_schemathesis(p, name, data)
    raw = _check_shape(name, data)
    try:
        loaded = vcr_deserialize(text, yamlserializer)
        requests, responses = loaded[0], loaded[1]
        interactions = []
        for i, (request, response) in enumerate(zip(requests, responses, strict=True)):
            interactions.append(Interaction(
                index=i,
                method=str(request.method).upper(),
                url=str(request.uri),
                request_headers={str(k): _one_value(v) for k, v in request.headers.items()},
                request_body=_as_bytes(request.body),
                status=int(response["status"]["code"]),
                response_headers={str(k).lower(): _one_value(v) for k, v in response["headers"].items()},
                response_body=_as_bytes(response["body"].get("string")) or b"",
            ))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CassetteError(f"{name}: vcrpy cannot load this cassette ({type(exc).__name__}: {exc})") from None
    assert len(interactions) == len(raw)
    metadata = data.get("metadata") or {}
    return RecordedCassette(path=p, interactions=interactions, metadata=dict(metadata))


def _vcr_body(body: object, where: str) -> bytes | None:
    """A Ruby-VCR body ``{encoding, string}`` or ``{encoding, base64_string}`` (``--report-preserve-bytes``)."""
    if body is None:
        return None
    if not isinstance(body, dict):
        raise CassetteError(f"{where}: body is not a mapping")
    if isinstance(body.get("base64_string"), str):
        try:
            return base64.b64decode(body["base64_string"], validate=True)
        except (binascii.Error, ValueError):
            raise CassetteError(f"{where}: base64_string is not base64") from None
    text = body.get("string")
    if text is None:
        return None
    if not isinstance(text, str):
        raise CassetteError(f"{where}: body string is not a string")
    return text.encode("utf-8")


def _vcr_headers(headers: object, where: str) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise CassetteError(f"{where}: headers are not a mapping")
    return {str(k): _one_value(v) for k, v in headers.items()}


def _load_schemathesis(p: Path, name: str, data: dict[str, Any]) -> RecordedCassette:
    """The Ruby-VCR layout of schemathesis' ``--report vcr`` (schemathesis/reporting/vcr.py)."""
    items = data.get("http_interactions")
    if items is None:  # a run that recorded nothing writes the key with no list
        items = []
    if not isinstance(items, list):
        raise CassetteError(f"{name}: not a VCR file ('http_interactions' is not a list)")
    interactions: list[Interaction] = []
    unanswered = 0
    for i, item in enumerate(items):
        where = f"{name}: http_interactions[{i}]"
        request = item.get("request") if isinstance(item, dict) else None
        if not isinstance(request, dict) or not isinstance(request.get("uri"), str) \
                or not isinstance(request.get("method"), str):
            raise CassetteError(f"{where} has no request {{uri, method}}")
        response = item.get("response")
        if response is None:
            unanswered += 1
            continue
        status = response.get("status") if isinstance(response, dict) else None
        code = status.get("code") if isinstance(status, dict) else None
        try:
            code_int = int(str(code))
        except ValueError:
            raise CassetteError(f"{where}: response status code {code!r} is not a number") from None
        interactions.append(Interaction(
            index=len(interactions),
            method=request["method"].upper(),
            url=request["uri"],
            request_headers=_vcr_headers(request.get("headers"), where),
            request_body=_vcr_body(request.get("body"), where),
            status=code_int,
            response_headers={k.lower(): v for k, v in _vcr_headers(response.get("headers"), where).items()},
            response_body=_vcr_body(response.get("body"), where) or b"",
        ))
    recorded_with = data.get("recorded_with")
    meta = {SCHEMATHESIS: {"recorded_with": str(recorded_with) if recorded_with is not None else None,
                           "seed": data.get("seed") if isinstance(data.get("seed"), int) else None}}
    return RecordedCassette(path=p, interactions=interactions, metadata=meta, kind=SCHEMATHESIS,
                            unanswered=unanswered)
