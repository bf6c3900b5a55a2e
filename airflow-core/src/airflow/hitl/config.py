"""Settings of the human-in-the-loop feature, read from Airflow's configuration (``[hitl]``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from airflow.configuration import conf

SECTION = "hitl"
# Seconds allowed for the scheduler to read an executor's report after the worker sent it.
SCHEDULER_READ_MARGIN = 5.0
# The same for the CeleryExecutor, whose report goes through its result backend, polled by the
# scheduler that queued the task. Measured with two schedulers and two workers on PostgreSQL (two
# runs of 200 instant answers on a busy 2-core machine): read up to 8.6 s after the deferral
# (medians 3.7 to 5.7 s), 3.6 s past the worker's 5 s heartbeat interval, where the LocalExecutor's
# report is read about 1 s past it. Twice the local margin keeps a like reserve.
CELERY_READ_MARGIN = 10.0
# What ``airflow standalone`` serves; used in links only when no base URL is configured at all.
DEFAULT_BASE_URL = "http://localhost:8080"


@dataclass(frozen=True)
class HITLSettings:
    """
    :param resume_settle_seconds: An answer that arrives sooner than this after the task deferred
        is recorded at once but resumes the task only when this much time has passed since the
        deferral, so that the executor's report of the deferring run has reached the scheduler
        first (see ``contributing-docs/architecture.md``, "The resume race"). The worker reports a
        deferred run up to ``[workers] min_heartbeat_interval`` seconds after it deferred, so the
        default is that interval plus the time the scheduler takes to read the report: 5 seconds,
        10 with the CeleryExecutor (:func:`executor_read_margin`).
    :param timeout_grace_seconds: The trigger fires the deadline this long after it; the API
        refuses answers from the deadline on, so an answer and a timeout can never both win.
    :param max_answer_bytes: The largest answer body the API accepts.
    :param lifecycle_interval: How often, in seconds, the request lifecycle (in the API server
        holding its lease) registers new deferrals, resumes answers that are due and closes
        requests whose deadline passed; see :mod:`airflow.hitl.services.lifecycle`.
    :param reconcile_interval: How often, in seconds, the lifecycle closes the requests whose task
        stopped waiting for any other reason (marked, cleared, deleted).
    :param lifecycle_lease_seconds: How long the lifecycle lease lasts unless renewed: after the
        holding API server dies, another one takes over within this time.
    :param deleted_runs_check_interval: How often, in seconds, the lifecycle removes the requests
        of deleted DAG runs (and of deleted DAGs' runs).
    :param prepared_links_enabled: Whether tasks may mint prepared links for notifications and the
        API server accepts them (off unless configured).
    :param prepared_link_max_lifetime_seconds: A link expires at its request's deadline, but never
        later than this after it was made (also the lifetime of links to requests without one).
    :param prepared_link_base_url: The Airflow UI's address as people reach it, used in links;
        ``[api] base_url`` unless set.
    :param allowed_image_hosts: Hosts or origins (``images.example.com``,
        ``https://cdn.example.org:8443``, ``*.example.net``) whose images request bodies may show
        in the Required Actions app, besides its own origin and inline ``data:`` images; read
        from a comma-separated list, empty by default.
    """

    resume_settle_seconds: float = 10.0
    timeout_grace_seconds: float = 1.0
    max_answer_bytes: int = 1_000_000
    lifecycle_interval: float = 0.5
    reconcile_interval: float = 5.0
    lifecycle_lease_seconds: float = 5.0
    deleted_runs_check_interval: float = 60.0
    prepared_links_enabled: bool = False
    prepared_link_max_lifetime_seconds: int = 7 * 24 * 3600
    prepared_link_base_url: str = DEFAULT_BASE_URL
    allowed_image_hosts: tuple[str, ...] = ()


def executor_read_margin() -> float:
    """How long after a worker reports a run the scheduler may read it, by ``[core] executor``
    (a list: any Celery executor among them sets the margin)."""
    executors = conf.get("core", "executor", fallback="LocalExecutor")
    return CELERY_READ_MARGIN if "celery" in executors.lower() else SCHEDULER_READ_MARGIN


def get_settings() -> HITLSettings:
    defaults = HITLSettings()
    worker_report_delay = conf.getfloat("workers", "min_heartbeat_interval", fallback=5.0)
    return HITLSettings(
        resume_settle_seconds=conf.getfloat(
            SECTION, "resume_settle_seconds", fallback=worker_report_delay + executor_read_margin()
        ),
        timeout_grace_seconds=conf.getfloat(
            SECTION, "timeout_grace_seconds", fallback=defaults.timeout_grace_seconds
        ),
        max_answer_bytes=conf.getint(SECTION, "max_answer_bytes", fallback=defaults.max_answer_bytes),
        lifecycle_interval=conf.getfloat(SECTION, "lifecycle_interval", fallback=defaults.lifecycle_interval),
        reconcile_interval=conf.getfloat(SECTION, "reconcile_interval", fallback=defaults.reconcile_interval),
        lifecycle_lease_seconds=conf.getfloat(
            SECTION, "lifecycle_lease_seconds", fallback=defaults.lifecycle_lease_seconds
        ),
        deleted_runs_check_interval=conf.getfloat(
            SECTION, "deleted_runs_check_interval", fallback=defaults.deleted_runs_check_interval
        ),
        prepared_links_enabled=conf.getboolean(
            SECTION, _renamed("prepared_links_enabled"), fallback=defaults.prepared_links_enabled
        ),
        prepared_link_max_lifetime_seconds=conf.getint(
            SECTION,
            _renamed("prepared_link_max_lifetime_seconds"),
            fallback=defaults.prepared_link_max_lifetime_seconds,
        ),
        prepared_link_base_url=(
            conf.get(SECTION, _renamed("prepared_link_base_url"), fallback="")
            or conf.get("api", "base_url", fallback="")
            or defaults.prepared_link_base_url
        ).rstrip("/"),
        allowed_image_hosts=tuple(
            host.strip()
            for host in conf.get(SECTION, "allowed_image_hosts", fallback="").split(",")
            if host.strip()
        ),
    )


# Settings renamed since 0.1; the old names are still read, with a deprecation warning.
RENAMED = {
    "prepared_links_enabled": "shared_links_enabled",
    "prepared_link_max_lifetime_seconds": "shared_link_max_lifetime_seconds",
    "prepared_link_base_url": "shared_link_base_url",
}


def _renamed(name: str) -> str:
    """``name``, or its old name when only that one is set (which warns)."""
    old = RENAMED[name]
    if conf.has_option(SECTION, name) or not conf.has_option(SECTION, old):
        return name
    warnings.warn(
        f"[{SECTION}] {old} is deprecated and will be removed in a future release; "
        f"set [{SECTION}] {name} instead",
        DeprecationWarning,
        stacklevel=3,
    )
    return old
