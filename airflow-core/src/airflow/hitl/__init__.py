"""Human-in-the-loop for Apache Airflow 3.0: the server side (models, registry, respond, REST API)."""

from __future__ import annotations

__version__ = "0.1.0"
