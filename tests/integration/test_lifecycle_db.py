"""The request lifecycle's database work on real databases (SQLite and PostgreSQL), without
Airflow components: the lease between processes, closes compared by the database, and requests
recorded from the XCom of tries that ended while no API server ran."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack

# One process trying to hold the lease every 50 ms once the file ``wait_for`` exists (at once if it
# is "-"), until it has held it ``holds`` times or 30 s have passed; it writes the file
# ``held_marker`` when it first holds the lease. Then it stops (and so stops renewing, as if it
# died). Prints the moments it held the lease.
CONTENDER = """
import json, os, sys, time
from airflow import settings
from airflow.hitl.services import leases
from airflow.utils.session import create_session
settings.configure_orm()
name, holds, wait_for, held_marker = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
while wait_for != "-" and not os.path.exists(wait_for):
    time.sleep(0.02)
stop = time.time() + 30
held = []
while time.time() < stop and len(held) < holds:
    with create_session() as session:
        if leases.hold(session, "test-lease", name, ttl=0.5) is not None:
            held.append(time.time())
            if len(held) == 1:
                open(held_marker, "w").close()
    time.sleep(0.05)
print(json.dumps(held))
"""


def contend(database: AirflowStack, plan: dict[str, tuple[int, str, str]]) -> dict[str, list[float]]:
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-c", CONTENDER, name, str(holds), wait, marker],
            env=database.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (holds, wait, marker) in plan.items()
    }
    held = {}
    for name, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        held[name] = json.loads(out.strip().splitlines()[-1])
    return held


def test_one_process_holds_the_lease_and_another_takes_over_only_after_it_expires(
    migrated: AirflowStack,
) -> None:
    # "first" takes the free lease and renews it 20 times, then stops (as if it died); "second"
    # starts trying once "first" holds it, until it has held it 5 times.
    marker = str(migrated.home / f"lease-held-{time.time_ns()}")
    held = contend(migrated, {"first": (20, "-", marker), "second": (5, marker, marker + "-2")})
    first, second = held["first"], held["second"]
    assert len(first) == 20, f"the first process took the free lease and kept renewing it ({held})"
    # The second got it only after it expired (0.5 s after the last renewal), never while it was
    # held, and then kept it.
    assert len(second) == 5, f"the lease was taken over ({held})"
    assert second[0] >= first[-1] + 0.5 - 0.05, held


# Seeds DAG "rec" with three task tries that asked (each left its hitl_request XCom) and have no
# request row: "ended" timed out with the defaults while no API server ran, "waiting" is still
# deferred (the registry registers it from its trigger), "garbled" left a malformed XCom. Then
# records ended tries and prints what is stored.
RECOVER = """
import json
from airflow import settings
from airflow.hitl.events import REQUEST_XCOM_KEY, asked_record, timeout_event
from airflow.hitl.models import HITLRequest
from airflow.hitl.services.recovery import record_ended_tries
from airflow.models.dagrun import DagRun
from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from airflow.utils import timezone
from airflow.utils.session import create_session
from airflow.utils.types import DagRunType
settings.configure_orm()
now = timezone.utcnow()
request = {"subject": "Ship it?", "body": None, "options": ["Approve", "Reject"], "defaults": ["Reject"],
           "multiple": False, "params": {"pin": {"value": "1234", "schema": {"type": "string", "format": "password"},
                                                 "description": None}},
           "assigned_users": [{"id": "alice", "name": "Alice"}], "assigned_groups": ["ops"]}
snapshot = {"options": request["options"], "multiple": False, "params": request["params"]}
with create_session() as session:
    session.query(HITLRequest).filter(HITLRequest.dag_id == "rec").delete()
    session.query(XComModel).filter(XComModel.dag_id == "rec").delete()
    session.query(TaskInstance).filter(TaskInstance.dag_id == "rec").delete()
    session.query(DagRun).filter(DagRun.dag_id == "rec").delete()
with create_session() as session:
    session.add(DagRun(dag_id="rec", run_id="r1", run_type=DagRunType.MANUAL, run_after=now, state="running"))
    session.flush()
    ids = {}
    for task_id, state in (("ended", "success"), ("waiting", "deferred"), ("garbled", "success")):
        ti = dict(dag_id="rec", run_id="r1", task_id=task_id, map_index=-1, try_number=1, state=state,
                  pool="default_pool")
        if task_id == "ended":
            ti["next_kwargs"] = {"event": timeout_event(request=snapshot, chosen_options=["Reject"],
                                                         params_input={"pin": "1234"}, deadline=now)}
        session.execute(TaskInstance.__table__.insert(), [ti])
    session.flush()
    for ti in session.query(TaskInstance).filter(TaskInstance.dag_id == "rec"):
        value = (asked_record(request=request, deadline=now, try_number=1, ti_id=str(ti.id), asked_at=now)
                 if ti.task_id != "garbled" else {"not": "a request"})
        XComModel.set(REQUEST_XCOM_KEY, value, dag_id="rec", task_id=ti.task_id, run_id="r1", session=session)
with create_session() as session:
    first = record_ended_tries(session, since=None)
with create_session() as session:
    again = record_ended_tries(session, since=None)
with create_session() as session:
    rows = [
        {"task_id": r.task_id, "status": r.status, "subject": r.subject, "options": r.options,
         "chosen_options": r.chosen_options, "assignees": sorted(a.principal for a in r.assignees),
         "channel": r.response_channel, "pin_default": r.params["pin"]["value"]}
        for r in session.query(HITLRequest).filter(HITLRequest.dag_id == "rec")
    ]
print(json.dumps({"recorded": [first, again], "rows": rows}))
"""


def test_a_try_that_ended_while_no_api_server_ran_is_recorded_from_its_xcom(migrated: AirflowStack) -> None:
    result = json.loads(migrated.run_python(RECOVER).strip().splitlines()[-1])
    assert result == {
        "recorded": [1, 0],
        "rows": [
            {
                "task_id": "ended",
                "status": "timed_out",
                "subject": "Ship it?",
                "options": ["Approve", "Reject"],
                "chosen_options": ["Reject"],
                "assignees": ["alice", "ops"],
                "channel": "timeout",
                # The XCom is readable by every DAG reader: a password field's default is masked.
                "pin_default": "***",
            }
        ],
    }


# Seeds DAG "cl" with four deferred HITL tries and registers them; then one task is marked
# success, one gets the deadline's event, one is cleared (its next try gets a new task instance
# id), one keeps waiting; one answer recorded in the settle window whose task timed out before its
# resume. Prints the ids the database finds ended, then closes them.
CLOSE = """
import json, uuid
from airflow import settings
from airflow.hitl.events import TRIGGER_CLASSPATH, timeout_event
from airflow.hitl.models import HITLRequest
from airflow.hitl.services import registry
from airflow.models.dagrun import DagRun
from airflow.models.log import Log
from airflow.models.taskinstance import TaskInstance
from airflow.models.trigger import Trigger
from airflow.utils import timezone
from airflow.utils.session import create_session
from airflow.utils.types import DagRunType
settings.configure_orm()
now = timezone.utcnow()
snapshot = {"options": ["OK", "No"], "multiple": False, "params": {}}
with create_session() as session:
    session.query(HITLRequest).filter(HITLRequest.dag_id == "cl").delete()
    session.query(TaskInstance).filter(TaskInstance.dag_id == "cl").delete()
    session.query(DagRun).filter(DagRun.dag_id == "cl").delete()
with create_session() as session:
    session.add(DagRun(dag_id="cl", run_id="r1", run_type=DagRunType.MANUAL, run_after=now, state="running"))
    for task_id in ("marked", "timed", "cleared", "waiting", "late_answer"):
        trigger = Trigger(TRIGGER_CLASSPATH, {"request": {"subject": task_id, "options": ["OK", "No"],
                                                           "defaults": ["No"]}, "deadline": None,
                                              "try_number": 1, "links": []})
        session.add(trigger)
        session.flush()
        session.execute(TaskInstance.__table__.insert(), [dict(
            dag_id="cl", run_id="r1", task_id=task_id, map_index=-1, try_number=1, state="deferred",
            trigger_id=trigger.id, pool="default_pool")])
with create_session() as session:
    registry.register_new_requests(session)
    late = session.query(HITLRequest).filter(HITLRequest.task_id == "late_answer").one()
    late.status, late.responded_at, late.responded_by_id, late.responded_by_name = "responded", now, "bob", "Bob"
    late.chosen_options, late.params_input, late.response_channel = ["OK"], {}, "ui"
    late.resume_due_at = now
def ti(session, task_id):
    return session.query(TaskInstance).filter(TaskInstance.dag_id == "cl", TaskInstance.task_id == task_id).one()
timeout = {"event": timeout_event(request=snapshot, chosen_options=["No"], params_input={}, deadline=now)}
with create_session() as session:
    ti(session, "marked").state = "success"
    ti(session, "timed").state, ti(session, "timed").next_kwargs = "scheduled", timeout
    ti(session, "late_answer").state, ti(session, "late_answer").next_kwargs = "success", timeout
    cleared = ti(session, "cleared")
    session.execute(TaskInstance.__table__.update().where(TaskInstance.__table__.c.id == cleared.id).values(
        id=str(uuid.uuid4()), try_number=2, state="deferred"))
with create_session() as session:
    # Other tests' requests share this database: only this scenario's are looked at.
    ended = [i for i in registry.ended_request_ids(session) if session.get(HITLRequest, i).dag_id == "cl"]
    names = sorted(session.get(HITLRequest, i).task_id for i in ended)
    closed = registry.close_ended_requests(session, ended)
    again = registry.close_ended_requests(session, ended)
with create_session() as session:
    rows = {r.task_id: [r.status, r.closed_ti_state, r.chosen_options, bool(r.undelivered_answer)]
            for r in session.query(HITLRequest).filter(HITLRequest.dag_id == "cl")}
    audit = sorted((l.task_id, l.event) for l in session.query(Log).filter(Log.dag_id == "cl"))
with create_session() as session:  # leave no waiting task behind for the other tests
    session.query(HITLRequest).filter(HITLRequest.dag_id == "cl").delete()
    session.query(TaskInstance).filter(TaskInstance.dag_id == "cl").delete()
print(json.dumps({"ended": names, "closed": [len(closed), len(again)], "rows": rows, "audit": audit}))
"""


def test_requests_whose_task_stopped_waiting_are_found_by_the_database_and_closed_once(
    migrated: AirflowStack,
) -> None:
    result = json.loads(migrated.run_python(CLOSE).strip().splitlines()[-1])
    assert result["ended"] == ["cleared", "late_answer", "marked", "timed"]
    assert result["closed"] == [4, 0]
    assert result["rows"] == {
        "marked": ["cancelled", "success", None, False],
        "timed": ["timed_out", None, ["No"], False],
        "cleared": ["cancelled", "removed", None, False],  # no history seeded for try 1
        "waiting": ["pending", None, None, False],
        # The deadline won over an answer that was never delivered: the record says so.
        "late_answer": ["timed_out", None, ["No"], True],
    }
    assert result["audit"] == [
        ["cleared", "hitl.cancel"],
        ["late_answer", "hitl.timeout"],
        ["marked", "hitl.cancel"],
        ["timed", "hitl.timeout"],
    ]
