"""The registry on real databases: deferred HITL tasks become requests once, even when servers race."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack

# Seeds run "race" of DAG "r" with five deferred HITL task instances (map indexes 0-4), each with
# a trigger of its own, and no requests. Then runs SCENARIO and prints its JSON result.
SEED_AND_RUN = """
import json
from airflow import settings
from airflow.hitl.events import TRIGGER_CLASSPATH
from airflow.hitl.models import HITLRequest
from airflow.hitl.services import registry
from airflow.models.dagrun import DagRun
from airflow.models.taskinstance import TaskInstance
from airflow.models.trigger import Trigger
from airflow.utils import timezone
from airflow.utils.session import create_session
from airflow.utils.types import DagRunType
settings.configure_orm()

def delete_run():  # as Airflow deletes a DAG run: its task instances go with it
    with create_session() as session:
        session.query(TaskInstance).filter(TaskInstance.dag_id == "r").delete()
        session.query(DagRun).filter(DagRun.dag_id == "r").delete()

def create_run():  # task instances get new ids
    with create_session() as session:
        session.add(DagRun(dag_id="r", run_id="race", run_type=DagRunType.MANUAL, run_after=timezone.utcnow(),
                           state="running"))
        for index in range(5):
            request = {{"subject": f"Request {{index}}", "options": ["OK"], "assigned_groups": ["ops"]}}
            trigger = Trigger(TRIGGER_CLASSPATH, {{"request": request, "deadline": None, "try_number": 1,
                                                  "links": []}})
            session.add(trigger)
            session.flush()
            session.execute(TaskInstance.__table__.insert(), [dict(
                dag_id="r", run_id="race", task_id="ask", map_index=index, try_number=1, state="deferred",
                trigger_id=trigger.id, pool="default_pool")])

with create_session() as session:
    session.query(HITLRequest).delete()
delete_run()
create_run()

def stored():
    with create_session() as session:
        return sorted([r.map_index, r.subject, [a.principal for a in r.assignees]]
                      for r in session.query(HITLRequest).filter(HITLRequest.dag_id == "r"))

{scenario}
"""

# Both calls register all five at once; the second finds nothing left to do.
TWICE = """
with create_session() as session:
    first = len(registry.register_new_requests(session))
with create_session() as session:
    second = len(registry.register_new_requests(session))
print(json.dumps({"created": [first, second], "stored": stored()}))
"""

# Another API server registers map indexes 1 and 3 (and commits) after this server has read the
# deferred tasks and before it writes: this server's inserts of those two tries collide.
RACE = """
row_for = registry._row_for
others = []
def build_after_another_server(trigger_kwargs, task_try):
    if not others:
        registry._row_for = row_for  # the other server runs the code as it is
        for index in (1, 3):
            with create_session() as other:
                others.append(len(registry.register_new_requests(other, task=("r", "race", "ask", index))))
    return row_for(trigger_kwargs, task_try)
registry._row_for = build_after_another_server
with create_session() as session:
    mine = len(registry.register_new_requests(session))
print(json.dumps({"created": [mine, *others], "stored": stored()}))
"""

# The run is deleted after its requests were registered (one answered, one of a second try), then
# created again under the same run id, as the scheduler does for a deleted scheduled run: the new
# tasks' requests replace all the deleted run's, although their tries have the same numbers.
RECREATED = """
with create_session() as session:
    registry.register_new_requests(session)
    session.query(HITLRequest).filter(HITLRequest.map_index == 0).update({"status": "responded"})
    session.query(HITLRequest).filter(HITLRequest.map_index == 1).update({"try_number": 2})
    old_ids = sorted(r.ti_id for r in session.query(HITLRequest))
delete_run()
create_run()
with create_session() as session:
    registry.register_new_requests(session)
    registry.close_ended_requests(session, registry.ended_request_ids(session))
with create_session() as session:
    rows = session.query(HITLRequest).filter(HITLRequest.dag_id == "r").all()
    new_ids = sorted(r.ti_id for r in rows)
    tis = sorted(str(ti.id) for ti in session.query(TaskInstance).filter(TaskInstance.dag_id == "r"))
    print(json.dumps({"stored": stored(), "statuses": sorted({r.status for r in rows}),
                      "tries": sorted({r.try_number for r in rows}),
                      "ids": [new_ids == tis, bool(set(old_ids) & set(new_ids))]}))
"""

# The run is deleted; the next sweep removes its requests (and their assignees), not other runs'.
DELETED = """
from airflow.hitl.models import HITLAssignee
from airflow.hitl.services.retention import remove_requests_of_deleted_runs
with create_session() as session:
    registry.register_new_requests(session)
    session.query(HITLRequest).filter(HITLRequest.map_index == 4).update({"run_id": "kept"})
delete_run()
with create_session() as session:
    session.add(DagRun(dag_id="r", run_id="kept", run_type=DagRunType.MANUAL, run_after=timezone.utcnow(),
                       state="running"))
with create_session() as session:
    removed = remove_requests_of_deleted_runs(session)
with create_session() as session:
    again = remove_requests_of_deleted_runs(session)
    assignees = session.query(HITLAssignee).count()
print(json.dumps({"created": [removed, again], "stored": stored(), "assignees": assignees}))
"""

ALL_FIVE = [[i, f"Request {i}", ["ops"]] for i in range(5)]


def run(database: AirflowStack, scenario: str) -> dict:
    output = database.run_python(SEED_AND_RUN.format(scenario=scenario))
    return json.loads(output.strip().splitlines()[-1])


def test_deferred_tasks_are_registered_together_and_only_once(migrated: AirflowStack) -> None:
    result = run(migrated, TWICE)
    assert result == {"created": [5, 0], "stored": ALL_FIVE}


def test_tries_another_server_registered_meanwhile_are_kept_and_the_rest_registered(
    migrated: AirflowStack,
) -> None:
    result = run(migrated, RACE)
    # This server registered the three the other did not; every try has exactly one request.
    assert result == {"created": [3, 1, 1], "stored": ALL_FIVE}


def test_a_run_created_again_under_the_same_run_id_gets_requests_of_its_own(migrated: AirflowStack) -> None:
    result = run(migrated, RECREATED)
    # The deleted run's five requests (one answered, one of try 2) are gone; the new tasks' wait.
    assert result == {"stored": ALL_FIVE, "statuses": ["pending"], "tries": [1], "ids": [True, False]}


def test_requests_of_deleted_runs_are_removed(migrated: AirflowStack) -> None:
    result = run(migrated, DELETED)
    # Four requests of the deleted run went with their assignees; the one of the other run stayed.
    assert result == {"created": [4, 0], "stored": [[4, "Request 4", ["ops"]]], "assignees": 1}
