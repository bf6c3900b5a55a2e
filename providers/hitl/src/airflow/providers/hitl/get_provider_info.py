"""Provider metadata read by Airflow's providers manager (entry point ``apache_airflow_provider``)."""

from __future__ import annotations

from typing import Any

from airflow.providers.hitl import __version__


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-hitl",
        "name": "Human-in-the-loop",
        "description": "Operators that wait for a person to choose, approve or fill in a form.",
        "versions": [__version__],
        "operators": [
            {
                "integration-name": "Human-in-the-loop",
                "python-modules": ["airflow.providers.hitl.operators.hitl"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Human-in-the-loop",
                "python-modules": ["airflow.providers.hitl.triggers.hitl"],
            }
        ],
        "extra-links": ["airflow.providers.hitl.links.required_action.RequiredActionLink"],
        "notifications": ["airflow.providers.hitl.notifications.per_recipient.PerRecipientNotifier"],
        "integrations": [
            {
                "integration-name": "Human-in-the-loop",
                "external-doc-url": "https://airflow.apache.org/",
                "tags": ["human"],
            }
        ],
    }
