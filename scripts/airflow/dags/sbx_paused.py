"""A scheduled DAG that starts paused: listed as paused, with its cron schedule."""

from datetime import datetime

try:  # Airflow 3's task SDK
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

with DAG(
    dag_id="sbx_paused",
    description="Signalbox real-peer test: paused",
    schedule="0 3 * * *",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    is_paused_upon_creation=True,
    tags=["signalbox", "test"],
    default_args={"owner": "signalbox"},
):

    @task
    def nightly():
        print("nightly")

    nightly()
