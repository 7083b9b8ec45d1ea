"""Starts on ``dbt.job.completed``, posted by the ``vendor_webhooks`` stack's dbt Cloud bridge.

Deploy with ``python dbt_flow.py argo-workflows create``. ``DbtCloudToMetaflow`` posts
these payload keys (all strings) besides the envelope: ``account_id``, ``project_id``,
``environment_id``, ``job_id``, ``job_name``, ``run_id``, ``run_status``,
``run_started_at``, ``run_finished_at``. By default only successful runs of the
configured jobs arrive; the event id is the dbt run id.

``run_id`` is a reserved Metaflow parameter name (``Parameter("run_id")`` fails with "is a
reserved word"), so the trigger maps the payload key ``run_id`` to the parameter
``dbt_run_id``: ``parameters={"dbt_run_id": "run_id"}`` (flow parameter: payload key).
"""

from metaflow import FlowSpec, Parameter, current, step, trigger

PAYLOAD_KEYS = (
    "account_id",
    "project_id",
    "environment_id",
    "job_id",
    "job_name",
    "run_id",
    "run_status",
    "run_started_at",
    "run_finished_at",
)


@trigger(
    event={
        "name": "dbt.job.completed",
        "parameters": {
            "account_id": "account_id",
            "project_id": "project_id",
            "environment_id": "environment_id",
            "job_id": "job_id",
            "job_name": "job_name",
            "dbt_run_id": "run_id",
            "run_status": "run_status",
            "run_started_at": "run_started_at",
            "run_finished_at": "run_finished_at",
        },
    }
)
class DbtJobCompletedFlow(FlowSpec):
    """Score the models a dbt Cloud job has just rebuilt."""

    account_id = Parameter("account_id", default="", help="dbt Cloud account id.")
    project_id = Parameter("project_id", default="", help="dbt Cloud project id.")
    environment_id = Parameter("environment_id", default="", help="dbt Cloud environment id.")
    job_id = Parameter("job_id", required=True, help="dbt Cloud job id.")
    job_name = Parameter("job_name", default="", help="dbt Cloud job name.")
    # "run_id" is a Metaflow reserved parameter name: the payload key maps to dbt_run_id.
    dbt_run_id = Parameter(
        "dbt_run_id", required=True, help="dbt Cloud run id (payload key run_id; the event id)."
    )
    run_status = Parameter("run_status", default="Success", help="Success, Errored, ...")
    run_started_at = Parameter("run_started_at", default="", help="ISO 8601 start time.")
    run_finished_at = Parameter("run_finished_at", default="", help="ISO 8601 finish time.")

    @step
    def start(self) -> None:
        event = current.trigger.event if current.trigger else None
        print(f"dbt job {self.job_id} ({self.job_name}) run {self.dbt_run_id}: {self.run_status}")
        print(f"event={event}")
        self.next(self.end)

    @step
    def end(self) -> None:
        pass


if __name__ == "__main__":
    DbtJobCompletedFlow()
