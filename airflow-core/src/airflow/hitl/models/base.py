"""The feature's own SQLAlchemy metadata.

Our tables live in a metadata of their own (not Airflow's), because Airflow's external DB
manager validation rejects tables that appear in Airflow's metadata, and because these tables are
created and upgraded by the feature's own Alembic chain (``airflow.hitl.migrations``).
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import declarative_base

NAMING_CONVENTION = {
    "ix": "idx_%(column_0_N_label)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_uq",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base = declarative_base(metadata=metadata)
