"""Errors of the HITL services, each with the HTTP status the API answers with."""

from __future__ import annotations

from typing import Any


class HITLServiceError(Exception):
    """A refused operation; ``detail`` is shown to the caller as is."""

    status_code = 400

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(HITLServiceError):
    status_code = 404


class Conflict(HITLServiceError):
    status_code = 409


class RequestNotFound(NotFound):
    """No request for that task (try)."""


class NotAllowed(HITLServiceError):
    status_code = 403


class RequestClosed(Conflict):
    """Answered already, expired or cancelled."""


class Invalid(HITLServiceError):
    """A well-formed body whose content is refused (422)."""

    status_code = 422


class InvalidOptions(HITLServiceError):
    status_code = 400


class InvalidParams(Invalid):
    """Form values that do not match the request's schema."""


class InvalidComment(Invalid):
    """A comment that is missing where the request requires one, or too long."""
