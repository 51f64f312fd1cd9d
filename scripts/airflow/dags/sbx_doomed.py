"""A DAG the test deletes from Airflow, which Signalbox must then mark removed."""

from datetime import datetime

try:  # Airflow 3's task SDK
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

with DAG(
    dag_id="sbx_doomed",
    description="Signalbox real-peer test: deleted during the test",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["signalbox", "test"],
    default_args={"owner": "signalbox"},
):

    @task
    def noop():
        pass

    noop()
