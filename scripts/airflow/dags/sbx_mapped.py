"""A mapped task: three task instances of one task, map_index 0, 1 and 2."""

from datetime import datetime

try:  # Airflow 3's task SDK
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

with DAG(
    dag_id="sbx_mapped",
    description="Signalbox real-peer test: mapped tasks",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["signalbox", "test"],
    default_args={"owner": "signalbox"},
):

    @task
    def square(x):
        return x * x

    square.expand(x=[1, 2, 3])
