"""Specification of the lifecycle's trigger watermark: which trigger ids a round looks above."""

from __future__ import annotations

from airflow.hitl.services.lifecycle import WATERMARK_LOOKBACK, TriggerWatermark


class FakeSession:
    """Answers ``SELECT max(trigger.id)`` with the next of the given values."""

    def __init__(self, *max_ids: int) -> None:
        self.max_ids = list(max_ids)

    def scalar(self, _statement: object) -> int:
        return self.max_ids.pop(0)


def test_a_new_holder_looks_at_every_trigger_until_its_first_sample_is_old_enough():
    watermark = TriggerWatermark(reuses_ids=False)
    assert watermark.below(0.0) is None
    watermark.sample(FakeSession(40), 0.0)
    assert watermark.below(WATERMARK_LOOKBACK - 0.1) is None
    assert watermark.below(WATERMARK_LOOKBACK) == 40


def test_the_watermark_is_the_newest_sample_at_least_the_lookback_old():
    watermark = TriggerWatermark(reuses_ids=False)
    session = FakeSession(10, 20, 30)
    for at in (0.0, 1.0, 2.0):
        watermark.sample(session, at)
    assert watermark.below(WATERMARK_LOOKBACK + 1.5) == 20
    # Triggers between 20 and 30 may still commit late; 30 becomes the watermark only later.
    assert watermark.below(WATERMARK_LOOKBACK + 1.9) == 20
    assert watermark.below(WATERMARK_LOOKBACK + 2.0) == 30
    assert watermark.below(WATERMARK_LOOKBACK + 60) == 30


def test_on_a_database_that_reuses_ids_every_round_looks_at_everything():
    watermark = TriggerWatermark(reuses_ids=True)
    watermark.sample(FakeSession(10), 0.0)
    assert watermark.below(WATERMARK_LOOKBACK * 10) is None
