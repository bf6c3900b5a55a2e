"""The ``HITLRequest`` model: one human-in-the-loop request per task-instance try."""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import relationship

from airflow.hitl.models.base import Base
from airflow.hitl.policy import RequestPolicy, policy_of
from airflow.hitl.request import RequestSnapshot, snapshot_of
from airflow.utils.sqlalchemy import UtcDateTime

ID_LEN = 250


class HITLStatus(str, Enum):
    """Where a request stands. Stored (for index-backed inbox queries), set only by the registry and
    the respond service; see ``contributing-docs/architecture.md``."""

    PENDING = "pending"
    RESPONDED = "responded"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


class ResponseChannel(str, Enum):
    """How an answer reached the server."""

    API = "api"
    UI = "ui"
    CLI = "cli"
    LINK = "link"
    TIMEOUT = "timeout"


class HITLRequest(Base):
    """
    A request for human input, and its answer, for one try of one task instance.

    There is deliberately no foreign key to ``task_instance``: Airflow 3.0 gives a task instance a
    new ``id`` for each try by updating the primary key of its row, which a foreign key would either
    block or (with ``ON UPDATE CASCADE``) rewrite, losing the earlier try's request. The natural key
    ``(dag_id, run_id, task_id, map_index, try_number)`` identifies the try instead, and ``ti_id``
    keeps the id the try had. ``ti_id`` is not unique: when the scheduler fails a task that was
    queued (not running), Airflow 3.0.6 starts the retry without a new id.
    """

    __tablename__ = "hitl_request"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ti_id = Column(String(36), nullable=False)
    dag_id = Column(String(ID_LEN), nullable=False)
    run_id = Column(String(ID_LEN), nullable=False)
    task_id = Column(String(ID_LEN), nullable=False)
    map_index = Column(Integer, nullable=False, default=-1)
    try_number = Column(Integer, nullable=False)
    trigger_id = Column(Integer, nullable=True)

    # The request, as the operator built it.
    subject = Column(Text, nullable=False)
    body = Column(Text, nullable=True)
    options = Column(JSON, nullable=False)
    defaults = Column(JSON, nullable=True)
    multiple = Column(Boolean, nullable=False, default=False)
    params = Column(JSON, nullable=False, default=dict)
    assigned_users = Column(JSON, nullable=False, default=list)
    assigned_groups = Column(JSON, nullable=False, default=list)
    # Whether anybody is assigned (users or groups): "pending for me" finds unassigned requests of
    # editable DAGs in an index instead of a NOT EXISTS over the assignees.
    has_assignees = Column(Boolean, nullable=False, default=False, server_default=false())
    # ``airflow.hitl.policy.RequestPolicy`` as the operator sent it (hitl_0004); None before that,
    # read as the default policy by ``policy_of``.
    policy = Column(JSON, nullable=True)
    # Who triggered the DAG run (user names), looked up when a request that does not allow
    # self-approval is registered; None: not looked up. See services/run_creator.py.
    run_creators = Column(JSON, nullable=True)
    created_at = Column(UtcDateTime, nullable=False)
    deferred_at = Column(UtcDateTime, nullable=False)
    deadline = Column(UtcDateTime, nullable=True)

    status = Column(String(16), nullable=False, default=HITLStatus.PENDING.value)
    # The task instance's state when a request was closed without an answer (``cancelled``).
    closed_ti_state = Column(String(20), nullable=True)

    # The answer (a person's, or the defaults applied at the deadline).
    responded_at = Column(UtcDateTime, nullable=True)
    responded_by_id = Column(String(ID_LEN), nullable=True)
    responded_by_name = Column(String(ID_LEN), nullable=True)
    chosen_options = Column(JSON, nullable=True)
    params_input = Column(JSON, nullable=True)
    response_channel = Column(String(16), nullable=True)
    # The reason the person gave with the answer (hitl_0004), at most ``COMMENT_MAX_LENGTH``.
    comment = Column(Text, nullable=True)
    # True when an admin answered a request that was assigned to others.
    override = Column(Boolean, nullable=False, default=False)
    # Set while an answer is recorded but the task is not resumed yet; cleared on resume.
    resume_due_at = Column(UtcDateTime, nullable=True)
    resumed_at = Column(UtcDateTime, nullable=True)
    # A person's answer that the task never got: it was recorded inside the settle window, no API
    # server resumed the task before the deadline, and the trigger applied the defaults instead.
    # ``{responded_at, responded_by_user, chosen_options, params_input, channel, comment}``.
    undelivered_answer = Column(JSON, nullable=True)

    assignees = relationship(
        "HITLAssignee", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )
    votes = relationship(
        "HITLVote",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="HITLVote.id",
    )

    __table_args__ = (
        UniqueConstraint("dag_id", "run_id", "task_id", "map_index", "try_number"),
        Index("idx_hitl_request_ti_id", "ti_id"),
        Index("idx_hitl_request_status_created", "status", "created_at"),
        Index("idx_hitl_request_status_deadline", "status", "deadline"),
        Index("idx_hitl_request_resume_due_at", "resume_due_at"),
        # The inbox: status and readable DAGs filter, has_assignees for "pending for me", created_at
        # and id sort and page, all from the index.
        Index("idx_hitl_request_inbox", "status", "dag_id", "has_assignees", "created_at", "id"),
        # Counts per status of the readable DAGs (the badge and the tabs): a narrow index-only scan
        # (100,000 requests on PostgreSQL: 14 ms, against 30-37 ms for a scan of the table).
        Index("idx_hitl_request_status_dag_id", "status", "dag_id"),
    )

    @property
    def responded_by_user(self) -> dict[str, str] | None:
        if self.responded_by_id is None:
            return None
        return {"id": self.responded_by_id, "name": self.responded_by_name or self.responded_by_id}

    @property
    def response_received(self) -> bool:
        return self.responded_at is not None

    def request_snapshot(self) -> RequestSnapshot:
        """What the answer is validated against, carried to the task in the resume event."""
        return snapshot_of({"options": self.options, "multiple": self.multiple, "params": self.params})

    def answer_policy(self) -> RequestPolicy:
        """The rules answers follow (comments needed, who is kept out), defaults filled in."""
        return policy_of({"policy": self.policy})

    def __repr__(self) -> str:
        return (
            f"<HITLRequest {self.dag_id}.{self.task_id} run={self.run_id} "
            f"map_index={self.map_index} try={self.try_number} status={self.status}>"
        )


class HITLAssignee(Base):
    """One assignee of a request: a user id or a responder group name (index for inboxes)."""

    __tablename__ = "hitl_request_assignee"

    request_id = Column(Integer, ForeignKey("hitl_request.id", ondelete="CASCADE"), primary_key=True)
    kind = Column(String(8), primary_key=True)  # "user" or "group"
    principal = Column(String(ID_LEN), primary_key=True)

    __table_args__ = (Index("idx_hitl_assignee_principal", "kind", "principal", "request_id"),)


class HITLVote(Base):
    """
    One person's vote on a request that needs a quorum (``required_approvals``).

    Unique per request and user: the database, not the code, keeps a person from voting twice,
    however many API servers take votes at the same moment.
    """

    __tablename__ = "hitl_vote"

    id = Column(Integer, primary_key=True, autoincrement=True)
    request_id = Column(Integer, ForeignKey("hitl_request.id", ondelete="CASCADE"), nullable=False)
    user_id = Column(String(ID_LEN), nullable=False)
    user_name = Column(String(ID_LEN), nullable=False)
    chosen_option = Column(Text, nullable=False)
    params_input = Column(JSON, nullable=True)
    comment = Column(Text, nullable=True)
    channel = Column(String(16), nullable=False)
    override = Column(Boolean, nullable=False, default=False)
    voted_at = Column(UtcDateTime, nullable=False)

    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    def record(self) -> dict[str, Any]:
        """The vote as the task's XCom and the resume event carry it."""
        return {
            "user": {"id": self.user_id, "name": self.user_name},
            "chosen_options": [self.chosen_option],
            "params_input": self.params_input,
            "comment": self.comment,
            "channel": self.channel,
            "override": self.override,
            "voted_at": self.voted_at.isoformat(),
        }


class HITLGroup(Base):
    """A responder group, defined outside DAGs; requests are assigned to it by name."""

    __tablename__ = "hitl_group"

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(ID_LEN), nullable=False, unique=True)
    description = Column(Text, nullable=True)
    # When set, members are also the users holding this auth-manager role.
    follows_role = Column(String(ID_LEN), nullable=True)
    created_at = Column(UtcDateTime, nullable=False)

    members = relationship(
        "HITLGroupMember", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class HITLGroupMember(Base):
    """Membership of a user (auth-manager user id) in a responder group."""

    __tablename__ = "hitl_group_member"

    group_id = Column(Integer, ForeignKey("hitl_group.id", ondelete="CASCADE"), primary_key=True)
    user_id = Column(String(ID_LEN), primary_key=True)

    __table_args__ = (Index("idx_hitl_group_member_user", "user_id", "group_id"),)


class HITLLinkToken(Base):
    """A prepared link's token (only its hash is stored) and what the link does."""

    __tablename__ = "hitl_link_token"

    id = Column(Integer, primary_key=True, autoincrement=True)
    request_id = Column(
        Integer, ForeignKey("hitl_request.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash = Column(String(64), nullable=False, unique=True)
    action = Column(String(16), nullable=False)  # "open" or "respond"
    chosen_options = Column(JSON, nullable=True)
    params_input = Column(JSON, nullable=True)
    created_at = Column(UtcDateTime, nullable=False)
    expires_at = Column(UtcDateTime, nullable=False)
    used_at = Column(UtcDateTime, nullable=True)
    # The user id the link acts for; None: a link sent to a channel, which acts only after a click.
    recipient = Column(String(ID_LEN), nullable=True)


class HITLLease(Base):
    """
    Who runs a piece of background work now (see :mod:`airflow.hitl.lifecycle`): one row per kind
    of work, held by one API server process until ``expires_at`` unless renewed.
    """

    __tablename__ = "hitl_lease"

    name = Column(String(64), primary_key=True)
    holder = Column(String(ID_LEN), nullable=True)
    expires_at = Column(UtcDateTime, nullable=True)
    renewed_at = Column(UtcDateTime, nullable=True)
