"""Why a human-in-the-loop task fails."""

from __future__ import annotations

from airflow.exceptions import AirflowException


class HITLTimeoutError(AirflowException):
    """Nobody answered before the deadline and the request has no defaults."""


class HITLRejectedError(AirflowException):
    """An approval was rejected and the operator was told to fail on reject."""
