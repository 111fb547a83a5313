"""The refusals of the simulated API, as one exception type carrying the exact HTTP answer.

Every decision that refuses a request (the model's and the adapter's) raises ``ApiError``; the
adapter only serialises it. Codes follow the ThingSpace "Service.CATEGORY.Detail" convention
(docs/vendor-facts.md#errors) and the message always starts with the offending field, so that a client sees what
to fix without parsing anything else.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "bad_request", "gateway_fault", "invalid"]

#: Long offending values (a 200 KiB string, say) would otherwise be echoed whole.
_MAX_MESSAGE = 400


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


class ApiError(Exception):
    """A refusal: the HTTP status and the JSON body to send, nothing else."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body

    @property
    def error_code(self) -> str | None:
        code = self.body.get("errorCode")
        return code if isinstance(code, str) else None


def bad_request(code: str, message: str, *, status: int = 400) -> ApiError:
    """The vendor's documented error shape ``{errorCode, errorMessage}``."""
    return ApiError(status, {"errorCode": code, "errorMessage": _clip(message)})


def invalid(field: str, message: str, *, status: int = 400) -> ApiError:
    """A refused input: the code names the top-level field, the message starts with its path."""
    top = field.split("[", 1)[0].split(".", 1)[0] or "body"
    return bad_request(f"FotaService.INPUT_INVALID.{top}", f"{field}: {message}", status=status)


def gateway_fault(code: str, message: str, description: str) -> ApiError:
    """The API gateway's 401 body: what the vendor sends for a bad bearer token
    (docs/vendor-facts.md#credentials-and-auth-failures)."""
    return ApiError(401, {"fault": {"code": code, "message": message, "description": description}})
