"""DAGs of the FAB auth manager tests (tests/system/test_fab_auth.py).

Assignees are FAB user ids: FAB numbers the test users in the order of ``FAB_USERS`` in
tests/system/fab_auth.py (erin is the 9th), which the stack checks when it creates them.
"""

from __future__ import annotations

from airflow.providers.hitl.notifications.per_recipient import PerRecipientNotifier
from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import DAG, task

ERIN = {"id": "9", "name": "Erin"}

LINK_MAIL = """
<p>For {{ hitl_recipient.id }}</p>
<a href="{{ hitl_links.action('Approve') }}">Approve</a>
<a href="{{ hitl_links.open }}">Open</a>
"""


def after():
    @task
    def went_on() -> str:
        return "ran"

    return went_on()


# Unassigned: whoever may edit the DAG answers. The role "Team A" may read and edit the first only.
for dag_id in ("hitl_fab_team_a", "hitl_fab_team_b"):
    with DAG(dag_id=dag_id, schedule=None, tags=["hitl-test", "fab"]):
        (
            ApprovalOperator(
                task_id="ask", subject=f"Release {dag_id} {{{{ dag_run.conf.get('marker', '') }}}}?"
            )
            >> after()
        )

with DAG(dag_id="hitl_fab_assigned_user", schedule=None, tags=["hitl-test", "fab"]):
    ApprovalOperator(task_id="for_erin", subject="Erin, approve?", assigned_users=ERIN) >> after()

with DAG(dag_id="hitl_fab_assigned_group", schedule=None, tags=["hitl-test", "fab"]):
    (
        ApprovalOperator(
            task_id="for_approvers", subject="Approvers, approve?", assigned_groups=["fab-approvers"]
        )
        >> after()
    )

with DAG(dag_id="hitl_fab_links", schedule=None, tags=["hitl-test", "fab"]):
    (
        ApprovalOperator(
            task_id="for_erin",
            subject="Links for Erin {{ dag_run.conf.get('marker', '') }}",
            assigned_users=ERIN,
            notifiers=PerRecipientNotifier(
                SmtpNotifier(
                    to="{{ hitl_recipient.address }}",
                    from_email="airflow@example.com",
                    subject="{{ hitl_request.subject }}",
                    html_content=LINK_MAIL,
                ),
                recipients={ERIN["id"]: "erin@example.com"},
            ),
        )
        >> after()
    )
