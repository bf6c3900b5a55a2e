"""Executors for Airflow 3.0.6 deployments of the feature (set with ``[core] executor``)."""
