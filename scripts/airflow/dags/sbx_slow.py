"""One slow task: a run that stays running long enough to be watched, cancelled or cleared."""

import time
from datetime import datetime

try:  # Airflow 3's task SDK
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

with DAG(
    dag_id="sbx_slow",
    description="Signalbox real-peer test: slow",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["signalbox", "test"],
    default_args={"owner": "signalbox"},
):

    @task
    def wait():
        time.sleep(45)

    wait()
