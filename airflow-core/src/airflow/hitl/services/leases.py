"""Leases: one API server process at a time does a piece of background work, chosen by the database.

A lease is a row of ``hitl_lease``. Taking or renewing it is one conditional UPDATE (the holder is
this process, or the lease has expired), which is atomic on every database Airflow supports, so
however many API servers on however many hosts try at once, one holds it. A holder that dies stops
renewing, and another process takes the lease once it expires.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from airflow.hitl.models import HITLLease
from airflow.utils import timezone

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def process_identity() -> str:
    """Names this process in leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Taken:
    """A lease this process holds now; ``previous_renewal`` is when it was last renewed before this
    call, by whichever process held it (None: nobody ever held it)."""

    taken_over: bool
    previous_renewal: datetime | None


def hold(session: Session, name: str, holder: str, ttl: float, now: datetime | None = None) -> Taken | None:
    """
    Take or renew the lease ``name`` for ``ttl`` seconds; None when another process holds it.

    Reading first keeps the processes that do not hold the lease to one SELECT per attempt (on
    SQLite an UPDATE would take the database's write lock, even when it changes nothing).
    """
    now = now or timezone.utcnow()
    lease = session.execute(select(HITLLease).where(HITLLease.name == name)).scalar_one_or_none()
    if lease is None:
        try:
            with session.begin_nested():
                session.add(
                    HITLLease(
                        name=name, holder=holder, expires_at=now + timedelta(seconds=ttl), renewed_at=now
                    )
                )
        except IntegrityError:
            return None  # another process created it first
        return Taken(taken_over=True, previous_renewal=None)
    mine = lease.holder == holder
    if not mine and lease.expires_at is not None and lease.expires_at > now:
        return None
    previous_renewal = lease.renewed_at
    taken = session.execute(
        update(HITLLease)
        .where(
            HITLLease.name == name,
            or_(HITLLease.holder == holder, HITLLease.expires_at.is_(None), HITLLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=now + timedelta(seconds=ttl), renewed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        return None
    return Taken(taken_over=not mine, previous_renewal=previous_renewal)


def release(session: Session, name: str, holder: str) -> None:
    """Give the lease up (on a clean shutdown), so another process need not wait for it to expire."""
    session.execute(
        update(HITLLease)
        .where(HITLLease.name == name, HITLLease.holder == holder)
        .values(expires_at=timezone.utcnow())
        .execution_options(synchronize_session=False)
    )
