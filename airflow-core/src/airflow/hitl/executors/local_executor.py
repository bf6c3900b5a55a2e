"""A LocalExecutor that starts a task only after the scheduler has committed it as ``queued``.

Airflow 3.0.6's scheduler queues task instances in its critical section
(``SchedulerJobRunner._critical_section_enqueue_task_instances``): it updates their state to
``queued`` in its session, calls ``executor.queue_workload`` for each, and commits only when
``_do_scheduling`` returns. The stock ``LocalExecutor.queue_workload`` puts the workload on the
worker processes' queue at once, so an idle worker can call the execution API's ``run`` endpoint
while the task instance is still ``scheduled`` in the database. The API refuses the start (409),
the worker reports the task failed ("uhoh" in ``local_executor.py``) and the scheduler fails a task
instance that never ran (apache/airflow#56010; measured: 7 of 50 approval tasks in a burst of 50
runs).

The scheduler's loop calls ``executor.heartbeat()`` only after that commit. So this executor keeps
what the scheduler queues in ``queued_tasks`` (as Airflow's remote executors do) and hands it to
its workers from the heartbeat, through ``BaseExecutor.trigger_tasks``: by then the ``queued``
state is in the database. Keeping the keys in ``queued_tasks`` and ``running`` also gives the
scheduler what the stock LocalExecutor never told it: how many slots are taken (``[core]
parallelism`` counts the tasks that run), and whether a task it sees again is already in hand
(``has_task``, which the scheduler's requeue guard for resumed deferred tasks relies on).

Select it with ``[core] executor = airflow.hitl.executors.local_executor.LocalExecutor``. It
changes nothing else of Airflow's LocalExecutor: the worker processes, how they run a task and
report its end are Airflow's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.executors.local_executor import LocalExecutor as AirflowLocalExecutor
from airflow.executors.workloads import ExecuteTask

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

    from airflow.executors.workloads import All


class LocalExecutor(AirflowLocalExecutor):
    """Airflow's LocalExecutor, handing work to its workers on the heartbeat after the commit."""

    def queue_workload(self, workload: All, session: Session | None = None) -> None:
        """Hold the workload until the next heartbeat (the scheduler has not committed it yet)."""
        key = _as_task(workload).ti.key
        if key in self.queued_tasks:
            self.log.error("Task %s is already queued in the executor; not queued again", key)
            return
        # BaseExecutor types queued_tasks by Airflow 2's command tuples; its trigger_tasks takes
        # workloads too (it passes them to _process_workloads).
        self.queued_tasks[key] = workload  # type: ignore[assignment]

    def _process_workloads(self, batch: Sequence[All]) -> None:
        """
        Hand the workloads to the worker processes (called by ``trigger_tasks`` on the heartbeat).

        ``trigger_tasks`` has already chosen them by priority within the open slots and held back any
        whose key is still running (a resumed deferred task whose deferring run has not reported its
        end yet); what it passes here moves from ``queued_tasks`` to ``running``.
        """
        for workload in batch:
            key = _as_task(workload).ti.key
            del self.queued_tasks[key]
            self.running.add(key)
            # Counted before the put: a worker decrements the (unsigned) counter when it takes the
            # workload, which can happen before the line after the put runs.
            with self._unread_messages:
                self._unread_messages.value += 1
            self.activity_queue.put(workload)
            # One call spawns at most one worker, as Airflow's queue_workload does per workload.
            self._check_workers()


def _as_task(workload: All) -> ExecuteTask:
    """The workload, if the LocalExecutor can run it (a task; triggers run in the triggerer)."""
    if not isinstance(workload, ExecuteTask):
        raise ValueError(f"The LocalExecutor cannot run workloads of type {type(workload).__name__}")
    return workload
