"""
An approval requested by email: each approver gets a mail of their own with one-click "Approve"
and "Reject" links that answer for them alone, and a link that opens the request in Airflow.

Needs ``[hitl] prepared_links_enabled = True`` on the workers and the API server, and an SMTP
connection ``smtp_default`` (see ``docs/notifications.md``). Trigger it with the approvers' Airflow
user ids and addresses as the run's conf: ``{"approvers": {"ann": "ann@example.com"}}``. A link
opened by anybody but the approver it was mailed to answers nothing. With links turned off, all
three links open the request in Airflow, where the approver answers.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.notifications.per_recipient import PerRecipientNotifier
from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import DAG, task

# Jinja, rendered with the task's context once per approver; ``hitl_links`` makes that approver's
# links. The subject is escaped because a run's conf can shape it and this is HTML.
EMAIL = """
<p>Airflow needs your decision: <strong>{{ hitl_request.subject | e }}</strong></p>
<p>Release <code>{{ dag_run.conf.get('version', 'nightly') | e }}</code> passed its checks.
Nobody else has to act: the first answer counts.</p>
<p>
  <a href="{{ hitl_links.action('Approve') }}">Approve</a> &middot;
  <a href="{{ hitl_links.action('Reject') }}">Reject</a> &middot;
  <a href="{{ hitl_links.open }}">Open the request in Airflow</a>
</p>
<p>Approve and Reject work once, for you ({{ hitl_recipient.id | e }}) logged in to Airflow, until the
request's deadline a day from now. Please do not forward this mail: the links answer only for you.</p>
"""

with DAG(
    dag_id="example_hitl_email_approval",
    schedule=None,
    is_paused_upon_creation=False,
    tags=["example", "hitl"],
    doc_md=__doc__,
):
    approve = ApprovalOperator(
        task_id="approve_release",
        subject="Release {{ dag_run.conf.get('version', 'nightly') }} to production?",
        body="The release passed its checks. Approve to deploy it, reject to stop here.",
        defaults="Reject",
        response_timeout=timedelta(days=1),
        notifiers=[
            PerRecipientNotifier(
                SmtpNotifier(
                    to="{{ hitl_recipient.address }}",
                    from_email="airflow@example.com",
                    subject="Approval needed: {{ hitl_request.subject }}",
                    html_content=EMAIL,
                ),
                recipients="{{ dag_run.conf.get('approvers', {'admin': 'approvers@example.com'}) | tojson }}",
            )
        ],
    )

    @task
    def deploy(decision: dict) -> str:
        return f"deployed after {decision['chosen_options'][0]} by {decision['responded_by_user']['name']}"

    deploy(approve.output)
