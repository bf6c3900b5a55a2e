"""The project's LocalExecutor hands work to its workers on the heartbeat, never while queueing.

The scheduler calls ``queue_workload`` before it commits the task instances as ``queued`` and
``heartbeat`` after; these tests drive the executor through those two calls as the scheduler does.
Worker processes are not started (``_spawn_worker`` only counts): what is looked at is what the
executor puts on its workers' queue, and when. The end-to-end effect is shown by
``tests/benchmarks/burst.py`` and the system tests, which run on this executor.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from airflow.executors import workloads
from airflow.executors.local_executor import LocalExecutor as AirflowLocalExecutor
from airflow.hitl.executors.local_executor import LocalExecutor
from airflow.utils.state import TaskInstanceState


def workload(task_id: str, priority: int = 1, try_number: int = 1) -> workloads.ExecuteTask:
    ti = workloads.TaskInstance(
        id=uuid.uuid4(),
        task_id=task_id,
        dag_id="dag",
        run_id="run",
        try_number=try_number,
        pool_slots=1,
        queue="default",
        priority_weight=priority,
    )
    return workloads.ExecuteTask(
        ti=ti,
        dag_rel_path=Path("dag.py"),
        token="",
        bundle_info=workloads.BundleInfo(name="dags-folder"),
        log_path=None,
    )


def handed_out(executor: AirflowLocalExecutor) -> list[str]:
    """The task ids of what the executor put on its workers' queue so far (taken off it)."""
    found = []
    while not executor.activity_queue.empty():
        found.append(executor.activity_queue.get().ti.task_id)
    return found


@pytest.fixture
def executor(monkeypatch):
    executor = LocalExecutor(parallelism=2)
    executor.start()
    executor.spawned = 0

    def spawn() -> None:
        executor.spawned += 1

    monkeypatch.setattr(executor, "_spawn_worker", spawn)
    yield executor
    executor.activity_queue.close()
    executor.result_queue.close()


def test_it_is_airflows_local_executor():
    assert issubclass(LocalExecutor, AirflowLocalExecutor)
    assert LocalExecutor.is_local and LocalExecutor.serve_logs


def test_airflows_own_hands_the_work_out_while_queueing(monkeypatch):
    # The race this executor removes: Airflow 3.0.6's LocalExecutor puts the workload on its
    # workers' queue inside queue_workload, before the scheduler commits the task as queued.
    stock = AirflowLocalExecutor(parallelism=2)
    stock.start()
    monkeypatch.setattr(stock, "_spawn_worker", lambda: None)
    try:
        stock.queue_workload(workload("a"), session=None)

        assert handed_out(stock) == ["a"]
        assert stock.running == set()  # and it does not count it as running
    finally:
        stock.activity_queue.close()
        stock.result_queue.close()


def test_queueing_hands_nothing_to_the_workers(executor):
    item = workload("a")
    executor.queue_workload(item, session=None)

    assert handed_out(executor) == []
    assert executor.spawned == 0
    # The scheduler knows the task is in hand (and that it takes a slot).
    assert executor.queued_tasks == {item.ti.key: item}
    assert executor.slots_occupied == 1
    assert executor.slots_available == 1


def test_the_heartbeat_hands_the_work_out_and_counts_it_running(executor):
    item = workload("a")
    executor.queue_workload(item, session=None)

    executor.heartbeat()

    assert handed_out(executor) == ["a"]
    assert executor.queued_tasks == {}
    assert executor.running == {item.ti.key}
    assert executor._unread_messages.value == 1
    assert executor.spawned >= 1  # a worker is started for it (Airflow may start one more in sync)


def test_the_heartbeat_hands_out_by_priority_within_the_parallelism(executor):
    for task_id, priority in (("low", 1), ("high", 3), ("middle", 2)):
        executor.queue_workload(workload(task_id, priority), session=None)

    executor.heartbeat()

    assert handed_out(executor) == ["high", "middle"]
    assert [key.task_id for key in executor.queued_tasks] == ["low"]


def test_a_task_whose_earlier_run_has_not_reported_is_held_back(executor):
    # A deferred task resumed before the worker reported the deferring run's end: same key.
    first = workload("a")
    executor.queue_workload(first, session=None)
    executor.heartbeat()
    handed_out(executor)
    resumed = workload("a")
    executor.queue_workload(resumed, session=None)

    executor.heartbeat()

    assert handed_out(executor) == []
    # The scheduler's requeue guard asks this when the deferring run's report comes in.
    assert executor.has_task(resumed.ti)
    assert resumed.ti.key in executor.queued_tasks

    executor.change_state(first.ti.key, TaskInstanceState.SUCCESS)  # the deferring run's report
    executor.heartbeat()

    assert handed_out(executor) == ["a"]
    assert executor.running == {resumed.ti.key}


def test_a_finished_task_frees_its_slot(executor):
    item = workload("a")
    executor.queue_workload(item, session=None)
    executor.heartbeat()

    executor.change_state(item.ti.key, TaskInstanceState.SUCCESS)

    assert executor.running == set()
    assert executor.slots_available == 2


def test_a_task_queued_twice_is_handed_out_once(executor):
    item = workload("a")
    executor.queue_workload(item, session=None)
    executor.queue_workload(workload("a"), session=None)

    executor.heartbeat()

    assert handed_out(executor) == ["a"]


def test_a_trigger_workload_is_refused():
    trigger = workloads.RunTrigger(id=1, ti=None, classpath="x.Y", encrypted_kwargs="")

    with pytest.raises(ValueError, match="cannot run workloads of type RunTrigger"):
        LocalExecutor(parallelism=1).queue_workload(trigger, session=None)
