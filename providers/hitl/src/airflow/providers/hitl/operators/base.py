"""``HITLOperator``: ask a person, defer until the answer (or the deadline), resume with it.

Class names and parameters follow Airflow 3.1+'s standard provider, so a DAG moves to a newer
Airflow by changing one import. The request is validated here, carried by ``HITLTrigger`` into
Airflow's trigger table, shown and answered through the API server, and comes back to
``execute_complete`` as the resume event. The variants that branch, skip or fail on the answer
override :meth:`HITLOperator.process_result`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.exceptions import AirflowException
from airflow.hitl.events import REQUEST_XCOM_KEY, asked_record, is_timeout_event, timeout_event
from airflow.hitl.policy import check_policy, make_policy
from airflow.hitl.request import (
    HITLDefinitionError,
    RequestSpec,
    check_definition,
    default_answer,
    mask_param_defaults,
    mask_params,
    normalize_defaults,
    restore_hidden_defaults,
    sensitive_values,
    snapshot_of,
    validate_answer,
)
from airflow.providers.hitl.links.required_action import RequiredActionLink
from airflow.providers.hitl.operators.definition import (
    UserSpec,
    is_templated,
    normalize_groups,
    normalize_users,
    params_to_specs,
    parse_rendered_options,
)
from airflow.providers.hitl.operators.exceptions import HITLTimeoutError
from airflow.providers.hitl.triggers.hitl import HITLTrigger
from airflow.providers.hitl.utils.prepared_links import (
    LINKS_CONTEXT_KEY,
    REQUEST_CONTEXT_KEY,
    links_for_task,
)
from airflow.sdk import BaseOperator
from airflow.sdk.execution_time.secrets_masker import mask_secret
from airflow.utils import timezone

if TYPE_CHECKING:
    from airflow.sdk import BaseNotifier
    from airflow.sdk.definitions.context import Context
    from airflow.sdk.definitions.param import ParamsDict


def hide_in_logs(values: Sequence[Any]) -> None:
    """Register sensitive form values with Airflow's secrets masker: task logs show ``***``."""
    for value in values:
        mask_secret(value)


def _running_in_dag_test() -> bool:
    """True inside ``airflow dags test`` / ``dag.test()``, which run tasks and triggers in-process."""
    from airflow.sdk.execution_time import task_runner
    from airflow.sdk.execution_time.supervisor import InProcessSupervisorComms

    return isinstance(getattr(task_runner, "SUPERVISOR_COMMS", None), InProcessSupervisorComms)


class HITLOperator(BaseOperator):
    """
    Wait for a person to choose among ``options`` (and fill in ``params``), then go on.

    :param subject: Headline shown to the person (templated).
    :param options: The choices, shown as buttons in this order (templated; a template may render
        a JSON or Python list).
    :param body: Markdown text with the background for the decision (templated).
    :param defaults: Option(s) applied when the deadline passes; without them the task fails then.
    :param multiple: Whether several options may be chosen.
    :param params: Form fields, as Airflow ``Param``s (or plain default values), validated like
        DAG params.
    :param notifiers: Airflow notifiers called with the task context when the request is created;
        the context's ``hitl_request`` is the rendered request (``{{ hitl_request.subject }}``) and
        ``hitl_links`` makes prepared links to it (``{{ hitl_links.open }}``,
        ``{{ hitl_links.action("Approve") }}``; see ``docs/notifications.md``).
    :param assigned_users: ``{"id": ..., "name": ...}`` or a list of them: who may answer.
    :param assigned_groups: Names of responder groups (managed outside the DAG) who may answer.
    :param response_timeout: How long to wait for an answer; a lone ``execution_timeout`` is taken
        as this (deprecated).
    :param on_response: Called as ``on_response(context, result)`` in the resumed task with the
        answer as given, sensitive form values included, before anything is pushed to XCom: the
        one place a DAG reads a password field's value (its return value is ignored).
    :param expose_sensitive_values: Put sensitive form values into the XComs as given (every
        reader of the DAG can then read them) instead of ``***``.
    :param require_comment_on: Options (one, or a list) that may be chosen only with a comment
        saying why, e.g. ``["Reject"]``. Every answer may carry a comment; these need one.
    :param allow_self_approval: When False, the user who triggered the DAG run may not answer
        (see ``docs/operators.md``, "Separation of duties", for what Airflow records as that user).
    :param excluded_users: User ids or names who may not answer, whatever their access.
    :param required_approvals: How many distinct people must choose the same option for it to win
        (default 1: the first answer decides). Each answer is then a vote; the first option to reach
        this many votes completes the request. Only with ``multiple=False``.

    The XCom ``return_value`` is ``{chosen_options, params_input, responded_at, responded_by_user,
    timed_out, comment, votes}`` (``votes``: every vote of a quorum, empty for a single answer); sensitive fields (``format="password"``) hold ``***`` in it unless
    ``expose_sensitive_values`` is set. Their values are registered with Airflow's secrets masker,
    so task logs show ``***`` too.
    """

    template_fields: Sequence[str] = ("subject", "body", "options")
    template_fields_renderers = {"body": "md"}
    ui_color = "#fdf0d5"
    operator_extra_links = (RequiredActionLink(),)

    def __init__(
        self,
        *,
        subject: str,
        options: Sequence[str] | str,
        body: str | None = None,
        defaults: str | Sequence[str] | None = None,
        multiple: bool = False,
        params: Mapping[str, Any] | ParamsDict | None = None,
        notifiers: Sequence[BaseNotifier] | BaseNotifier | None = None,
        assigned_users: UserSpec | Sequence[UserSpec] | None = None,
        assigned_groups: str | Sequence[str] | None = None,
        response_timeout: timedelta | None = None,
        on_response: Callable[[Context, dict[str, Any]], Any] | None = None,
        expose_sensitive_values: bool = False,
        require_comment_on: str | Sequence[str] | None = None,
        allow_self_approval: bool = True,
        excluded_users: str | Sequence[str] | None = None,
        required_approvals: int = 1,
        **kwargs: Any,
    ) -> None:
        if response_timeout is None and kwargs.get("execution_timeout") is not None:
            warnings.warn(
                "Using execution_timeout as the response deadline of a HITL task is deprecated; "
                "pass response_timeout instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            response_timeout = kwargs.pop("execution_timeout")
        super().__init__(**kwargs)
        self.subject = subject
        self.body = body
        self.options = options
        self.defaults = normalize_defaults(defaults)
        self.multiple = multiple
        self.hitl_params = params_to_specs(params)
        self.notifiers = (
            [notifiers]
            if notifiers is not None and not isinstance(notifiers, Sequence)
            else list(notifiers or [])
        )
        try:
            self.assigned_users = normalize_users(assigned_users)
            self.assigned_groups = normalize_groups(assigned_groups)
        except HITLDefinitionError as err:
            raise HITLDefinitionError(f"HITL task {self.task_id!r}: {err}") from None
        if response_timeout is not None and not isinstance(response_timeout, timedelta):
            raise HITLDefinitionError(f"HITL task {self.task_id!r}: response_timeout must be a timedelta")
        self.response_timeout = response_timeout
        if on_response is not None and not callable(on_response):
            raise HITLDefinitionError(f"HITL task {self.task_id!r}: on_response must be callable")
        self.on_response = on_response
        self.expose_sensitive_values = expose_sensitive_values
        if (
            isinstance(required_approvals, bool)
            or not isinstance(required_approvals, int)
            or required_approvals < 1
        ):
            raise HITLDefinitionError(
                f"HITL task {self.task_id!r}: required_approvals must be a whole number of at least 1, "
                f"got {required_approvals!r}"
            )
        if required_approvals > 1 and multiple:
            raise HITLDefinitionError(
                f"HITL task {self.task_id!r}: required_approvals counts votes for one option each, so it "
                "needs multiple=False"
            )
        self.required_approvals = required_approvals
        self.policy = make_policy(
            require_comment_on=require_comment_on,
            allow_self_approval=allow_self_approval,
            excluded_users=excluded_users,
        )
        if not is_templated(options):
            self._check(list(options) if not isinstance(options, str) else options)

    def _check(self, options: Any) -> None:
        problems = check_definition(
            options=options, defaults=self.defaults, multiple=self.multiple, params=self.hitl_params
        )
        if not problems:
            problems = check_policy(self._policy_for(options), options)
        if problems:
            raise HITLDefinitionError(f"HITL task {self.task_id!r}: " + "; ".join(problems))

    def required_votes(self, options: Sequence[str]) -> dict[str, int]:
        """How many votes each option needs to win: ``required_approvals`` for every option."""
        return dict.fromkeys(options, self.required_approvals)

    def _policy_for(self, options: Sequence[str]) -> dict[str, Any]:
        quorum = make_policy(required_votes=self.required_votes(options))["required_votes"]
        return {**self.policy, "required_votes": quorum}

    def _rendered_options(self) -> list[str]:
        options = parse_rendered_options(self.options)
        self._check(options)
        return list(options)

    def render_request(self) -> RequestSpec:
        """The request as the trigger carries it (after templates are rendered)."""
        options = self._rendered_options()
        return {
            "subject": self.subject,
            "body": self.body,
            "options": options,
            "defaults": self.defaults,
            "multiple": self.multiple,
            "params": self.hitl_params,
            "assigned_users": self.assigned_users,
            "assigned_groups": self.assigned_groups,
            "policy": self._policy_for(options),
        }

    def execute(self, context: Context) -> Any:
        own = self.render_request()
        params = own["params"]
        hide_in_logs(sensitive_values(params, {name: spec.get("value") for name, spec in params.items()}))
        if _running_in_dag_test():
            return self._answer_for_dag_test(context, own)
        # Defaults of sensitive fields never leave the worker: the trigger's kwargs (which Airflow
        # shows to the DAG's readers), the XCom and the notifiers get them as ``***``, and the
        # resumed task puts them back (result_from_event).
        request: RequestSpec = {**own, "params": mask_param_defaults(params)}
        asked_at = timezone.utcnow()
        deadline = asked_at + self.response_timeout if self.response_timeout else None
        ti = context["ti"]
        ti.xcom_push(
            key=REQUEST_XCOM_KEY,
            value=asked_record(
                request=request,
                deadline=deadline,
                try_number=ti.try_number,
                ti_id=str(ti.id),
                asked_at=asked_at,
            ),
        )
        links = links_for_task(context, request, deadline)
        # Notifier templates see the rendered request (the context's ``task`` is not rendered).
        context[REQUEST_CONTEXT_KEY] = {**request, "deadline": deadline}  # type: ignore[literal-required]
        context[LINKS_CONTEXT_KEY] = links  # type: ignore[literal-required]
        for notifier in self.notifiers:
            notifier(context)
        self.log.info(
            "Waiting for a person to answer %r (options %s, deadline %s)",
            request["subject"],
            request["options"],
            deadline.isoformat() if deadline else "none",
        )
        self.defer(
            trigger=HITLTrigger(
                request=request,
                deadline=deadline,
                try_number=context["ti"].try_number,
                links=links.registrations(),
            ),
            method_name="execute_complete",
        )

    def _answer_for_dag_test(self, context: Context, request: RequestSpec) -> Any:
        """``airflow dags test`` has no API server to answer through: apply the defaults or stop."""
        if not request["defaults"]:
            raise HITLTimeoutError(
                f"HITL task {self.task_id!r} cannot be answered under `airflow dags test` (no API "
                "server runs there) and has no defaults to apply. Give it defaults, or run the DAG "
                "on a running Airflow and answer through the REST API."
            )
        self.log.info(
            "`airflow dags test`: nobody can answer %r here; applying the defaults %s",
            request["subject"],
            request["defaults"],
        )
        snapshot = snapshot_of(request)
        answer = default_answer(snapshot, request["defaults"])
        errors, _ = validate_answer(snapshot, answer["chosen_options"], answer["params_input"])
        if errors:
            raise HITLTimeoutError(
                f"HITL task {self.task_id!r} cannot be answered under `airflow dags test` (no API "
                f"server runs there) and its defaults cannot be applied: {errors.describe()}"
            )
        event = timeout_event(
            request=snapshot, deadline=timezone.utcnow(), try_number=context["ti"].try_number, **answer
        )
        return self.execute_complete(context, event)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Turn the resume event into the task's result (validated against the request snapshot)."""
        answered_try = event.get("try_number")
        if answered_try is not None and answered_try != context["ti"].try_number:
            # Airflow 3.0 starts a retry with the failed try's resume data; that answer was for
            # the earlier try, so this try asks afresh.
            self.log.info("Resumed with the answer of try %s; asking again for this try", answered_try)
            return self.execute(context)
        result = self.result_from_event(event)
        if self.on_response is not None:
            self.on_response(context, result)
        if not self.expose_sensitive_values:
            params = event["request"].get("params") or {}
            result = {
                **result,
                "params_input": mask_params(params, result["params_input"]),
                "votes": [
                    {**vote, "params_input": mask_params(params, vote.get("params_input"))}
                    for vote in result["votes"]
                ],
            }
        return self.process_result(context, result)

    def result_from_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The answer in the event, validated, with sensitive form values as given."""
        request = event["request"]
        sent = request.get("params") or {}
        own = self.hitl_params
        # Before anything is logged or raised: schema messages quote the value they refuse.
        hide_in_logs(sensitive_values(sent, event["params_input"]))
        hide_in_logs(sensitive_values(own, {name: spec.get("value") for name, spec in own.items()}))
        if set(own) == set(sent):  # the fields as defined, with the defaults the request hid
            request = {**request, "params": own}
            event = {**event, "params_input": restore_hidden_defaults(sent, own, event["params_input"] or {})}
        if is_timeout_event(event) and not event["chosen_options"]:
            raise HITLTimeoutError(
                f"Nobody answered {self.subject!r} before its deadline {event['responded_at']} "
                "and the task has no defaults to apply"
            )
        errors, params_input = validate_answer(request, event["chosen_options"], event["params_input"])
        if errors and is_timeout_event(event):
            raise HITLTimeoutError(
                f"Nobody answered {self.subject!r} before its deadline {event['responded_at']} "
                f"and the defaults cannot be applied: {errors.describe()}"
            )
        if errors:
            raise AirflowException(f"The answer does not fit the request: {errors.describe()}")
        result = {
            "chosen_options": list(event["chosen_options"]),
            "params_input": params_input,
            "responded_at": event["responded_at"],
            "responded_by_user": event["responded_by_user"],
            "timed_out": bool(event["timed_out"]),
            "comment": event.get("comment"),
            "votes": list(event.get("votes") or []),
        }
        if result["timed_out"]:
            self.log.info("No answer before the deadline; applying the defaults %s", result["chosen_options"])
        else:
            self.log.info(
                "%s answered %s with form values %s",
                (event["responded_by_user"] or {}).get("name"),
                result["chosen_options"],
                mask_params(request.get("params") or {}, params_input),
            )
        return result

    def process_result(self, context: Context, result: dict[str, Any]) -> Any:
        """
        What the task does with an answer; subclasses branch, skip or fail here.

        ``result`` is what the XComs hold: sensitive form values are ``***`` unless
        ``expose_sensitive_values`` is set (``on_response`` has seen them as given).
        """
        return result
