"""DAGs for the image tests: a request body with an image from another host, an inline image and
an image of the API server's own origin."""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.sdk import DAG

# An 8x8 green PNG.
GREEN_SQUARE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEElEQVR4nGNgaGDAjoaWBACBfCAB1+kwKQAAAABJRU5ErkJggg=="
)

with DAG(dag_id="hitl_ui_images", schedule=None, tags=["hitl-test", "hitl-ui"]):
    ApprovalOperator(
        task_id="review_chart",
        subject="Does the chart look right?",
        body=(
            "Tracked: ![pixel](https://tracker.example/p.png)\n\n"
            f"Inline: ![green square]({GREEN_SQUARE})\n\n"
            "Same origin: ![app icon](/required_actions/favicon.svg)"
        ),
    )
