"""Human-in-the-loop operators for Apache Airflow 3.0 (``airflow.providers.hitl``)."""

from __future__ import annotations

__version__ = "0.1.0"
