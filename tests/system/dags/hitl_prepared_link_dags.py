"""DAGs of the prepared-link system tests (tests/system/test_prepared_links.py)."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.notifications.per_recipient import PerRecipientNotifier
from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import DAG, task

# Every kind of link the tests need, one anchor each: the tests read them from the mail. Links of
# ``hitl_links`` itself are made for nobody (a mail to a group).
MAIL = """
<p>{{ hitl_request.subject | e }}</p>
<ul>
<li><a href="{{ hitl_links.open }}">Open</a></li>
<li><a href="{{ hitl_links.action('Approve') }}">Approve</a></li>
<li><a href="{{ hitl_links.action('Reject') }}">Reject</a></li>
<li><a href="{{ hitl_links.action('Approve', expires_in=macros.timedelta(seconds=1)) }}">Approve soon expired</a></li>
</ul>
"""

# One mail per recipient, with links made for that recipient (``hitl_recipient.id``).
PERSONAL_MAIL = """
<p>For {{ hitl_recipient.id }}</p>
<ul>
<li><a href="{{ hitl_links.open }}">Open</a></li>
<li><a href="{{ hitl_links.action('Approve') }}">Approve</a></li>
<li><a href="{{ hitl_links.action('Reject') }}">Reject</a></li>
</ul>
"""


def group_mail() -> SmtpNotifier:
    return SmtpNotifier(
        to="{{ dag_run.conf.get('to', 'approvers@example.com') }}",
        from_email="airflow@example.com",
        subject="{{ hitl_request.subject }}",
        html_content=MAIL,
    )


def personal_mails() -> PerRecipientNotifier:
    return PerRecipientNotifier(
        SmtpNotifier(
            to="{{ hitl_recipient.address }}",
            from_email="airflow@example.com",
            subject="{{ hitl_request.subject }} for {{ hitl_recipient.id }}",
            html_content=PERSONAL_MAIL,
        ),
        recipients={"user": "user@example.com", "op": "op@example.com", "admin": "admin@example.com"},
    )


with DAG(dag_id="hitl_links_system", schedule=None, is_paused_upon_creation=False, tags=["hitl-test"]):
    gate = ApprovalOperator(
        task_id="gate",
        subject="Links test {{ dag_run.conf.get('marker', '') }}",
        defaults="Reject",
        response_timeout=timedelta(hours=1),
        notifiers=[group_mail(), personal_mails()],
    )

    @task
    def after_gate() -> str:
        return "went on"

    gate >> after_gate()


# Assigned to op alone: an admin may answer it in Airflow (an override), never through a link.
with DAG(dag_id="hitl_links_assigned", schedule=None, is_paused_upon_creation=False, tags=["hitl-test"]):
    assigned_gate = ApprovalOperator(
        task_id="gate",
        subject="Assigned links test {{ dag_run.conf.get('marker', '') }}",
        defaults="Reject",
        assigned_users={"id": "op", "name": "op"},
        response_timeout=timedelta(hours=1),
        notifiers=[group_mail(), personal_mails()],
    )

    @task
    def after_assigned_gate() -> str:
        return "went on"

    assigned_gate >> after_assigned_gate()


# A reason is required to reject: its links ask for the comment before they answer.
with DAG(dag_id="hitl_links_comment", schedule=None, is_paused_upon_creation=False, tags=["hitl-test"]):
    comment_gate = ApprovalOperator(
        task_id="gate",
        subject="Comment links test {{ dag_run.conf.get('marker', '') }}",
        defaults="Reject",
        require_comment_on=["Reject"],
        response_timeout=timedelta(hours=1),
        notifiers=[group_mail(), personal_mails()],
    )

    @task
    def after_comment_gate() -> str:
        return "went on"

    comment_gate >> after_comment_gate()
