"""Operators that pause a DAG until a person chooses, approves or fills in a form.

Class names and parameters follow Airflow 3.1+'s standard provider, so a DAG moves to a newer
Airflow by changing one import. The request is validated here, carried by ``HITLTrigger`` into
Airflow's trigger table, shown and answered through the API server, and comes back to
``execute_complete`` as the resume event.
"""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.exceptions import AirflowException
from airflow.hitl.events import REQUEST_XCOM_KEY, asked_record, is_timeout_event, timeout_event
from airflow.hitl.request import (
    AssignedUser,
    HITLDefinitionError,
    RequestSpec,
    check_definition,
    default_answer,
    mask_params,
    normalize_defaults,
    principal_problem,
    snapshot_of,
    validate_answer,
)
from airflow.providers.hitl.links.required_action import RequiredActionLink
from airflow.providers.hitl.triggers.hitl import HITLTrigger
from airflow.providers.hitl.utils.prepared_links import (
    LINKS_CONTEXT_KEY,
    REQUEST_CONTEXT_KEY,
    links_for_task,
)
from airflow.providers.standard.operators.branch import BranchMixIn
from airflow.providers.standard.utils.skipmixin import SkipMixin
from airflow.sdk import BaseOperator, Param
from airflow.sdk.definitions.param import ParamsDict
from airflow.utils import timezone
from airflow.utils.types import NOTSET

if TYPE_CHECKING:
    from airflow.sdk import BaseNotifier
    from airflow.sdk.definitions.context import Context

UserSpec = Mapping[str, str]


class HITLTimeoutError(AirflowException):
    """Nobody answered before the deadline and the request has no defaults."""


class HITLRejectedError(AirflowException):
    """An approval was rejected and the operator was told to fail on reject."""


def params_to_specs(params: Mapping[str, Any] | ParamsDict | None) -> dict[str, dict[str, Any]]:
    """Form fields as stored and shown: ``{name: {"value", "schema", "description"}}``."""
    if not params:
        return {}
    specs: dict[str, dict[str, Any]] = {}
    for name in params:
        param = params.get_param(name) if isinstance(params, ParamsDict) else params[name]
        if not isinstance(param, Param):
            param = Param(param)
        value = None if param.value is NOTSET else param.value
        specs[name] = {"value": value, "schema": dict(param.schema), "description": param.description}
    return specs


def normalize_users(users: UserSpec | Sequence[UserSpec] | None) -> list[AssignedUser]:
    """``assigned_users`` as a list of ``{"id", "name"}`` (a lone dict is one user)."""
    if users is None:
        return []
    items = [users] if isinstance(users, Mapping) else list(users)
    normalized: list[AssignedUser] = []
    for user in items:
        if not isinstance(user, Mapping) or not user.get("id"):
            raise HITLDefinitionError(
                f"assigned_users entries need an 'id' ({{'id': ..., 'name': ...}}), got {user!r}"
            )
        user_id = str(user["id"])
        if problem := principal_problem("user", user_id):
            raise HITLDefinitionError(f"assigned_users: {problem}, got {user_id!r}")
        normalized.append(AssignedUser(id=user_id, name=str(user.get("name") or user_id)))
    return normalized


def normalize_groups(groups: str | Sequence[str] | None) -> list[str]:
    """``assigned_groups`` as a list of names (a lone string is one group)."""
    names = [groups] if isinstance(groups, str) else [str(g) for g in groups or []]
    for name in names:
        if problem := principal_problem("group", name):
            raise HITLDefinitionError(f"assigned_groups: {problem}, got {name!r}")
    return list(dict.fromkeys(names))


def _running_in_dag_test() -> bool:
    """True inside ``airflow dags test`` / ``dag.test()``, which run tasks and triggers in-process."""
    from airflow.sdk.execution_time import task_runner
    from airflow.sdk.execution_time.supervisor import InProcessSupervisorComms

    return isinstance(getattr(task_runner, "SUPERVISOR_COMMS", None), InProcessSupervisorComms)


def _is_templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list | tuple):
        return any(_is_templated(v) for v in value)
    return False


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

    The XCom ``return_value`` is ``{chosen_options, params_input, responded_at, responded_by_user,
    timed_out}``.
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
        if not _is_templated(options):
            self._check(list(options) if not isinstance(options, str) else options)

    def _check(self, options: Any) -> None:
        problems = check_definition(
            options=options, defaults=self.defaults, multiple=self.multiple, params=self.hitl_params
        )
        if problems:
            raise HITLDefinitionError(f"HITL task {self.task_id!r}: " + "; ".join(problems))

    def _rendered_options(self) -> list[str]:
        options = self.options
        if isinstance(options, str):
            for parse in (json.loads, ast.literal_eval):
                try:
                    options = parse(options)
                    break
                except (ValueError, SyntaxError):
                    continue
        if isinstance(options, tuple):
            options = list(options)
        self._check(options)
        return list(options)

    def render_request(self) -> RequestSpec:
        """The request as the trigger carries it (after templates are rendered)."""
        return {
            "subject": self.subject,
            "body": self.body,
            "options": self._rendered_options(),
            "defaults": self.defaults,
            "multiple": self.multiple,
            "params": self.hitl_params,
            "assigned_users": self.assigned_users,
            "assigned_groups": self.assigned_groups,
        }

    def execute(self, context: Context) -> Any:
        request = self.render_request()
        if _running_in_dag_test():
            return self._answer_for_dag_test(context, request)
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
        return self.process_result(context, result)

    def result_from_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        request = event["request"]
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
        """What the task does with an answer; subclasses branch, skip or fail here."""
        return result


class FixedOptionsHITLOperator(HITLOperator, SkipMixin):
    """
    A ``HITLOperator`` whose options are fixed by the class (``fixed_options``, one may be chosen):
    the base of ``ApprovalOperator`` and ``HITLTerminationOperator``.
    """

    fixed_options: tuple[str, ...] = ()
    inherits_from_skipmixin = True

    def __init__(self, **kwargs: Any) -> None:
        for fixed in ("options", "multiple"):
            if fixed in kwargs:
                raise HITLDefinitionError(
                    f"{type(self).__name__} {kwargs.get('task_id')!r}: '{fixed}' is fixed "
                    f"(options are {list(self.fixed_options)}, one may be chosen)"
                )
        super().__init__(options=list(self.fixed_options), multiple=False, **kwargs)

    def skip_after(self, context: Context, result: dict[str, Any], *, everything: bool) -> dict[str, Any]:
        """Keep ``result`` as the XCom, then skip downstream (Airflow may end the task in the skip)."""
        context["ti"].xcom_push(key="return_value", value=result)
        skip_downstream(self, context, everything=everything)
        return result


class ApprovalOperator(FixedOptionsHITLOperator):
    """
    Ask a person to approve or reject; reject skips what follows (or fails the task).

    :param ignore_downstream_trigger_rules: On reject, skip every downstream task (True) or only
        the direct ones, letting the others' trigger rules decide (False, the default).
    :param fail_on_reject: On reject, fail the task instead of skipping downstream.
    """

    APPROVE = "Approve"
    REJECT = "Reject"
    fixed_options = (APPROVE, REJECT)

    def __init__(
        self, *, ignore_downstream_trigger_rules: bool = False, fail_on_reject: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules
        self.fail_on_reject = fail_on_reject

    def process_result(self, context: Context, result: dict[str, Any]) -> Any:
        if result["chosen_options"] == [self.APPROVE]:
            return result
        who = (result["responded_by_user"] or {}).get("name") or "the deadline's default"
        if self.fail_on_reject:
            context["ti"].xcom_push(key="return_value", value=result)
            raise HITLRejectedError(f"Rejected by {who}")
        self.log.info("Rejected by %s", who)
        return self.skip_after(context, result, everything=self.ignore_downstream_trigger_rules)


def skip_downstream(operator: SkipMixin, context: Context, *, everything: bool) -> None:
    """
    Skip the task's downstream tasks (all of them, or only the direct ones), except teardowns.

    For an unmapped task Airflow ends the task here (``DownstreamTasksSkipped``), so push any XCom
    before calling this.
    """
    task = context["task"]
    relatives = (
        task.get_flat_relatives(upstream=False) if everything else task.get_direct_relatives(upstream=False)
    )
    to_skip = [t for t in relatives if not t.is_teardown]
    operator.log.info("Skipping %s", sorted(t.task_id for t in to_skip))
    operator.skip(ti=context["ti"], tasks=to_skip)


class HITLBranchOperator(HITLOperator, BranchMixIn):
    """
    Ask a person which path(s) to take; the others are skipped.

    :param options_mapping: Option label -> task id, task group id, or a list of them. An option
        without a mapping is itself the id of the task (or task group) to follow.

    The XCom ``return_value`` is the list of task (or group) ids followed; the full answer is in
    the XCom ``hitl_response``.
    """

    inherits_from_skipmixin = True

    def __init__(
        self, *, options_mapping: Mapping[str, str | Sequence[str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.options_mapping = dict(options_mapping or {})
        if not _is_templated(self.options):
            self._check(self.options)

    def _check(self, options: Any) -> None:
        super()._check(options)
        mapping = getattr(self, "options_mapping", None)  # not set yet during HITLOperator.__init__
        if mapping is None:
            return
        problems = (
            [
                f"options_mapping names {sorted(set(mapping) - set(options))}, which are not among the "
                f"options {list(options)}"
            ]
            if set(mapping) - set(options)
            else []
        )
        for option, target in mapping.items():
            targets = [target] if isinstance(target, str) else target
            if (
                not isinstance(targets, list | tuple)
                or not targets
                or not all(isinstance(t, str) and t for t in targets)
            ):
                problems.append(
                    f"options_mapping[{option!r}] must be a task or task group id, or a non-empty list "
                    f"of them, got {target!r}"
                )
        if problems:
            raise HITLDefinitionError(f"HITL task {self.task_id!r}: " + "; ".join(problems))

    def branches_for(self, chosen_options: Sequence[str]) -> list[str]:
        """The task or task group ids to follow for the chosen options, in order, once each."""
        followed: list[str] = []
        for option in chosen_options:
            target = self.options_mapping.get(option, option)
            for task_id in [target] if isinstance(target, str) else target:
                if task_id not in followed:
                    followed.append(task_id)
        return followed

    def process_result(self, context: Context, result: dict[str, Any]) -> Any:
        followed = self.branches_for(result["chosen_options"])
        ti = context["ti"]
        ti.xcom_push(key="hitl_response", value=result)
        ti.xcom_push(key="return_value", value=followed)
        return self.do_branch(context, followed)


class HITLEntryOperator(HITLOperator):
    """
    Ask a person to fill in a form (``params``); the values go downstream as XCom.

    ``options`` default to ``["OK"]`` and ``defaults`` to ``["OK"]``.
    """

    def __init__(
        self,
        *,
        options: Sequence[str] | str | None = None,
        defaults: str | Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if options is None:
            options = ["OK"]
            defaults = ["OK"] if defaults is None else defaults
        super().__init__(options=options, defaults=defaults, **kwargs)


class HITLTerminationOperator(FixedOptionsHITLOperator):
    """
    Ask a person whether the run goes on: ``Stop`` skips every downstream task (whatever their
    trigger rules, as ``ShortCircuitOperator`` with ``ignore_downstream_trigger_rules=True``),
    ``Proceed`` continues.
    """

    STOP = "Stop"
    PROCEED = "Proceed"
    fixed_options = (STOP, PROCEED)

    def process_result(self, context: Context, result: dict[str, Any]) -> Any:
        if result["chosen_options"] == [self.PROCEED]:
            return result
        return self.skip_after(context, result, everything=True)
