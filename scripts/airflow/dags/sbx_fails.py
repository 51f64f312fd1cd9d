"""A task that fails (no retries) and one downstream of it: failed and upstream_failed."""

from datetime import datetime

try:  # Airflow 3's task SDK
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

with DAG(
    dag_id="sbx_fails",
    description="Signalbox real-peer test: fails",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["signalbox", "test"],
    default_args={"owner": "signalbox", "retries": 0},
):

    @task
    def boom():
        raise RuntimeError("this task fails on purpose")

    @task
    def after(_):
        print("never runs")

    after(boom())
