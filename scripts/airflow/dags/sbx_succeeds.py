"""Two tasks that succeed: the run and both task instances end in success."""

from datetime import datetime

try:  # Airflow 3's task SDK
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

with DAG(
    dag_id="sbx_succeeds",
    description="Signalbox real-peer test: succeeds",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["signalbox", "test"],
    default_args={"owner": "signalbox"},
):

    @task
    def extract():
        return 42

    @task
    def load(value):
        print("loaded", value)

    load(extract())
