"""Specification of the HITL metrics sent through Airflow's ``Stats``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.hitl.services import metrics

CREATED = datetime(2026, 1, 1, 12, tzinfo=UTC)


class RecordingStats:
    def __init__(self):
        self.calls = []

    def incr(self, name, tags=None):
        self.calls.append(("incr", name, tags))

    def timing(self, name, value, tags=None):
        self.calls.append(("timing", name, value, tags))


@pytest.fixture
def stats(monkeypatch):
    recorder = RecordingStats()
    monkeypatch.setattr(metrics, "Stats", recorder)
    return recorder


def a_request(**fields):
    values = {"dag_id": "d", "created_at": CREATED, "status": HITLStatus.PENDING.value}
    values.update(fields)
    return HITLRequest(**values)


def test_a_new_request_is_counted_per_dag(stats):
    metrics.request_created(a_request())
    assert stats.calls == [("incr", "hitl.requests_created", {"dag_id": "d"})]


def test_an_answer_is_counted_by_channel_and_timed_from_the_request(stats):
    row = a_request(response_channel="ui", responded_at=CREATED + timedelta(minutes=3))
    metrics.request_answered(row)
    assert stats.calls == [
        ("incr", "hitl.responses", {"dag_id": "d", "channel": "ui"}),
        ("timing", "hitl.time_to_response", timedelta(minutes=3), {"dag_id": "d"}),
    ]


@pytest.mark.parametrize(
    ("status", "metric"), [(HITLStatus.TIMED_OUT, "hitl.timeouts"), (HITLStatus.CANCELLED, "hitl.cancelled")]
)
def test_a_closed_request_is_counted_as_timeout_or_cancellation(stats, status, metric):
    metrics.request_closed(a_request(status=status.value))
    assert stats.calls == [("incr", metric, {"dag_id": "d"})]
