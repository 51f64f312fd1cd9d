"""A long task and one downstream of it: a run to cancel while it holds, then retry."""

import time
from datetime import datetime

try:  # Airflow 3's task SDK
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

with DAG(
    dag_id="sbx_cancel",
    description="Signalbox real-peer test: cancelled and retried",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["signalbox", "test"],
    default_args={"owner": "signalbox", "retries": 0},
):

    @task
    def hold():
        time.sleep(120)

    @task
    def after(_):
        print("runs once hold is done")

    after(hold())
