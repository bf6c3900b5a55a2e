"""Errors of the HITL services, each with the HTTP status the API answers with."""

from __future__ import annotations

from typing import Any


class HITLServiceError(Exception):
    """A refused operation; ``detail`` is shown to the caller as is."""

    status_code = 400

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


class RequestNotFound(HITLServiceError):
    status_code = 404


class NotAllowed(HITLServiceError):
    status_code = 403


class RequestClosed(HITLServiceError):
    """Answered already, expired or cancelled."""

    status_code = 409


class InvalidOptions(HITLServiceError):
    status_code = 400


class InvalidParams(HITLServiceError):
    status_code = 422
