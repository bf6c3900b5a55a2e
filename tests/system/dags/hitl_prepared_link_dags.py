"""DAGs of the prepared-link system tests (tests/system/test_prepared_links.py)."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import DAG, task

# Every kind of link the tests need, one anchor each: the tests read them from the mail.
MAIL = """
<p>{{ hitl_request.subject | e }}</p>
<ul>
<li><a href="{{ hitl_links.open }}">Open</a></li>
<li><a href="{{ hitl_links.action('Approve') }}">Approve</a></li>
<li><a href="{{ hitl_links.action('Reject') }}">Reject</a></li>
<li><a href="{{ hitl_links.action('Approve', expires_in=macros.timedelta(seconds=1)) }}">Approve soon expired</a></li>
</ul>
"""

with DAG(dag_id="hitl_links_system", schedule=None, is_paused_upon_creation=False, tags=["hitl-test"]):
    gate = ApprovalOperator(
        task_id="gate",
        subject="Links test {{ dag_run.conf.get('marker', '') }}",
        defaults="Reject",
        response_timeout=timedelta(hours=1),
        notifiers=[
            SmtpNotifier(
                to="{{ dag_run.conf.get('to', 'approvers@example.com') }}",
                from_email="airflow@example.com",
                subject="{{ hitl_request.subject }}",
                html_content=MAIL,
            )
        ],
    )

    @task
    def after_gate() -> str:
        return "went on"

    gate >> after_gate()
