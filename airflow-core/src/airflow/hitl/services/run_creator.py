"""Who triggered a DAG run, as far as Airflow 3.0.6 records it, and who may therefore not answer.

Airflow 3.0.6 has no column for the user who created a run (``DagRun.triggering_user_name`` came
in 3.1). What it has: ``DagRun.triggered_by`` says what made the run (``rest_api`` for the REST
API and the UI's trigger form, which calls it; ``cli``, ``timetable``, ``asset``, ``backfill``,
``operator``, ``test`` otherwise), and the REST route's audit-log entry (``Log``, event
``trigger_dag_run``) names the user, the DAG and, when the caller named the run id, the run. The
UI's trigger form names none; its entry is then matched by time: it is written in the transaction
that creates the run, moments before the run's ``queued_at``. Runs made by anything else (the
scheduler, assets, ``airflow dags trigger``, which records only the operating-system account) have
no Airflow user: nobody is kept out as their creator.

The creators are looked up when the request is registered (``queued_at`` moves when a run is
cleared) and kept on the row; later tries of the run take them from its earlier requests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from airflow.hitl.models import HITLRequest
from airflow.models.dagrun import DagRun
from airflow.models.log import Log
from airflow.utils.types import DagRunTriggeredByType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

# What made a run when a person asked for it through the API server (REST API, the UI's form).
BY_A_PERSON = frozenset({DagRunTriggeredByType.REST_API, DagRunTriggeredByType.UI})
TRIGGER_EVENT = "trigger_dag_run"
# An entry without a run id counts for a run queued up to this long after it: the entry and the
# run are written in one transaction, milliseconds apart.
UNNAMED_RUN_WINDOW = timedelta(seconds=10)
ANONYMOUS = "anonymous"  # Airflow's audit log owner when the API runs without authentication


def run_creators(session: Session, dag_id: str, run_id: str) -> list[str]:
    """
    The user names that triggered the run (Airflow's ``Log.owner``, the auth manager's
    ``get_name()``); empty when no person did, or none is recorded.

    Usually one. When the run's id was not named (the UI's form) and several people triggered the
    DAG in the same seconds, each of them may be the creator, and all are returned: the rule then
    keeps out everybody who may have started the run rather than letting its creator through.
    """
    run = session.execute(
        select(DagRun.triggered_by, DagRun.queued_at, DagRun.clear_number).where(
            DagRun.dag_id == dag_id, DagRun.run_id == run_id
        )
    ).first()
    if run is None or run.triggered_by not in BY_A_PERSON:
        return []
    entries = select(Log.owner).where(Log.event == TRIGGER_EVENT, Log.dag_id == dag_id)
    owners = set(session.scalars(entries.where(Log.run_id == run_id)))
    if not owners and run.queued_at is not None and not run.clear_number:
        owners = set(
            session.scalars(
                entries.where(
                    Log.run_id.is_(None),
                    Log.dttm >= run.queued_at - UNNAMED_RUN_WINDOW,
                    Log.dttm <= run.queued_at,
                )
            )
        )
    return sorted(owner for owner in owners if owner and owner != ANONYMOUS)


def record_run_creators(session: Session, row: HITLRequest) -> None:
    """Keep the creators of ``row``'s run on it, for requests that do not allow self-approval."""
    if row.answer_policy()["allow_self_approval"]:
        return
    earlier = session.scalar(
        select(HITLRequest.run_creators)
        .where(
            HITLRequest.dag_id == row.dag_id,
            HITLRequest.run_id == row.run_id,
            HITLRequest.run_creators.is_not(None),
            HITLRequest.id != row.id,
        )
        .order_by(HITLRequest.id)
        .limit(1)
    )
    row.run_creators = earlier if earlier is not None else run_creators(session, row.dag_id, row.run_id)


def exclusion_reason(session: Session, user: BaseUser, row: HITLRequest) -> str | None:
    """Why the request's policy keeps ``user`` from answering (excluded, or the run's creator), or None."""
    policy = row.answer_policy()
    identities = {str(user.get_id()), user.get_name()}
    if identities & set(policy["excluded_users"]):
        return "you are among the users this request excludes from answering (excluded_users)"
    if not policy["allow_self_approval"]:
        creators = row.run_creators
        if creators is None:
            creators = run_creators(session, row.dag_id, row.run_id)
        if user.get_name() in creators:
            return "you triggered this DAG run, and its requests may not be answered by who triggered it (allow_self_approval=False)"
    return None
