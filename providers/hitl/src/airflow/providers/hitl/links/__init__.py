"""Extra links of the HITL operators (buttons on a task instance's page in the Airflow UI)."""
