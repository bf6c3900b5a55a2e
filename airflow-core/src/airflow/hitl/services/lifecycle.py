"""The request lifecycle: what happens to requests while nobody looks.

Every API server process that runs the feature's plugin app starts a :class:`RequestLifecycle`
(its lifespan, :mod:`airflow.hitl.api.app`). One process at a time, the one holding the
``lifecycle`` lease (:mod:`airflow.hitl.services.leases`), does the work; the others read the lease
once per interval and take over when it expires. Each interval (``[hitl] lifecycle_interval``):

1. register the HITL tries deferred since the last look (trigger ids above a watermark: an index
   range, not every waiting task);
2. resume the recorded answers whose settle time has come (an index range on ``resume_due_at``);
3. close the pending requests whose deadline has just passed, once their trigger fired;

and every ``[hitl] reconcile_interval``: close the requests whose task stopped waiting for any other
reason (marked, cleared, deleted, failed by the scheduler), in one statement compared by the
database; send the pending gauge; and, every ``[hitl] deleted_runs_check_interval``, remove the
requests of deleted DAG runs.

On taking the lease, the new holder first registers every deferred try that has none (whatever its
trigger id), and records the tries that asked and ended while no lifecycle ran, from the XCom their
operator left (:mod:`airflow.hitl.services.recovery`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from airflow.hitl.config import get_settings
from airflow.hitl.services import leases, metrics
from airflow.hitl.services.recovery import record_ended_tries
from airflow.hitl.services.registry import close_ended_requests, ended_request_ids, register_new_requests
from airflow.hitl.services.resume import resume_due_requests
from airflow.hitl.services.retention import remove_requests_of_deleted_runs
from airflow.models.trigger import Trigger
from airflow.utils import timezone
from airflow.utils.session import create_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

LEASE = "lifecycle"
# A trigger row may commit after one with a higher id (ids are taken at insert, rows are visible at
# commit): ids are looked at again for this long. A deferral commits within milliseconds.
WATERMARK_LOOKBACK = 10.0
# A deadline check looks this far back; older unfired deadlines (no triggerer ran) are left to the
# reconcile, so a stopped triggerer does not make every tick re-read them.
DEADLINE_LOOKBACK = timedelta(seconds=60)
MAX_PAUSE_AFTER_FAILURES = 60.0


class TriggerWatermark:
    """
    Below which trigger id every HITL deferral has been registered.

    Samples the table's highest trigger id on every look and answers the highest sample at least
    :data:`WATERMARK_LOOKBACK` old. SQLite reuses the ids of deleted rows at the top of a table
    (it has no sequence), so a new trigger can get an id below the watermark: there the watermark
    stays at 0 and every look compares all waiting tries (SQLite deployments are small).
    """

    def __init__(self, reuses_ids: bool) -> None:
        self._reuses_ids = reuses_ids
        self._samples: deque[tuple[float, int]] = deque()

    def below(self, now: float) -> int | None:
        """The id to look above (None: look at everything)."""
        if self._reuses_ids:
            return None
        old = None
        while self._samples and self._samples[0][0] <= now - WATERMARK_LOOKBACK:
            old = self._samples.popleft()
        if old is not None:
            self._samples.appendleft(old)  # stays the answer until a newer sample is old enough
        return old[1] if old is not None else None

    def sample(self, session: Session, now: float) -> None:
        if self._reuses_ids:
            return
        self._samples.append((now, session.scalar(select(func.coalesce(func.max(Trigger.id), 0))) or 0))

    def reset(self) -> None:
        self._samples.clear()


class RequestLifecycle:
    """The background work of one API server process (see the module docstring)."""

    def __init__(self, holder: str | None = None) -> None:
        self.holder = holder or leases.process_identity()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watermark: TriggerWatermark | None = None
        self._leading = False
        self._last_reconcile = float("-inf")
        self._last_deleted_runs_check = float("-inf")

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hitl-request-lifecycle", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._leading:
            try:
                with create_session() as session:
                    leases.release(session, LEASE, self.holder)
            except Exception:
                log.exception("Could not release the HITL lifecycle lease; it expires by itself")
            self._leading = False

    def _run(self) -> None:
        interval = get_settings().lifecycle_interval
        failures = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.tick()
                failures = 0
            except Exception:
                failures += 1
                self._leading = False  # take the lease (and catch up) afresh after an error
                log.exception(
                    "HITL request lifecycle: this round failed (%d in a row; is `airflow db migrate` done "
                    "with [database] external_db_managers including airflow.hitl.db_manager.HITLDBManager?); "
                    "retrying",
                    failures,
                )
            # After repeated failures (a database that is down, tables that are missing) wait longer,
            # up to a minute, instead of failing twice a second.
            pause = interval if failures < 3 else min(MAX_PAUSE_AFTER_FAILURES, interval * 2**failures)
            self._stop.wait(max(0.0, pause - (time.monotonic() - started)))

    def tick(self) -> bool:
        """One round: returns whether this process held the lease and did the work."""
        settings = get_settings()
        with create_session() as session:
            taken = leases.hold(session, LEASE, self.holder, settings.lifecycle_lease_seconds)
            if taken is None:
                self._leading = False
                return False
            session.commit()
            now = time.monotonic()
            if taken.taken_over or not self._leading or self._watermark is None:
                self._take_over(session, taken.previous_renewal)
            assert self._watermark is not None
            self._work(session, now)
        return True

    def _take_over(self, session: Session, previous_renewal: datetime | None) -> None:
        log.info("HITL request lifecycle: %s runs it now", self.holder)
        self._leading = True
        self._watermark = TriggerWatermark(reuses_ids=session.get_bind().dialect.name == "sqlite")
        registered = register_new_requests(session)
        session.commit()
        recorded = record_ended_tries(session, since=previous_renewal)
        session.commit()
        if registered or recorded:
            log.info(
                "Caught up: %d waiting requests registered, %d ended ones recorded", len(registered), recorded
            )
        self._last_reconcile = float("-inf")

    def _work(self, session: Session, now: float) -> None:
        settings = get_settings()
        assert self._watermark is not None
        below = self._watermark.below(now)
        self._watermark.sample(session, now)
        changed = len(register_new_requests(session, after_trigger_id=below))
        session.commit()
        changed += resume_due_requests(session)
        session.commit()
        wall = timezone.utcnow()
        overdue = ended_request_ids(session, deadline_between=(wall - DEADLINE_LOOKBACK, wall))
        changed += len(close_ended_requests(session, overdue)) if overdue else 0
        session.commit()
        if now - self._last_reconcile >= settings.reconcile_interval:
            self._last_reconcile = now
            close_ended_requests(session, ended_request_ids(session))
            if now - self._last_deleted_runs_check >= settings.deleted_runs_check_interval:
                self._last_deleted_runs_check = now
                remove_requests_of_deleted_runs(session)
            metrics.pending_gauge(session)
            session.commit()
        elif changed:
            metrics.pending_gauge(session)


request_lifecycle = RequestLifecycle()
