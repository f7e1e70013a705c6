"""Checks OpenLineage run events with openlineage-python's event model, generated from the
OpenLineage JSON Schema: each event (one JSON per line of FILE) is rebuilt from the model's
classes, whose validators check the run id, times and URIs, and serialised back with the client's
own Serde; the result must equal the event, so a field, facet or schema URL the spec does not
define shows as a difference. Prints one JSON line per event; exits 1 if any is not valid.

Usage: openlineage_check.py FILE
"""
import json
import sys

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated import (
    documentation_job,
    error_message_run,
    input_statistics_input_dataset,
    job_type_job,
    output_statistics_output_dataset,
    ownership_job,
    processing_engine_run,
)
from openlineage.client.serde import Serde

FACETS = {
    "processing_engine": processing_engine_run.ProcessingEngineRunFacet,
    "errorMessage": error_message_run.ErrorMessageRunFacet,
    "jobType": job_type_job.JobTypeJobFacet,
    "documentation": documentation_job.DocumentationJobFacet,
    "ownership": ownership_job.OwnershipJobFacet,
    "inputStatistics": input_statistics_input_dataset.InputStatisticsInputDatasetFacet,
    "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet,
}


def facets(raw):
    out = {}
    for name, body in (raw or {}).items():
        if name not in FACETS:
            raise ValueError(f"facet {name} is not one the spec defines here")
        fields = {k: v for k, v in body.items() if not k.startswith("_")}
        if name == "ownership":
            fields["owners"] = [ownership_job.Owner(**o) for o in fields.get("owners", [])]
        out[name] = FACETS[name](**fields, producer=body["_producer"])
    return out


def rebuild(event):
    return RunEvent(
        eventType=RunState(event["eventType"]),
        eventTime=event["eventTime"],
        run=Run(runId=event["run"]["runId"], facets=facets(event["run"].get("facets"))),
        job=Job(namespace=event["job"]["namespace"], name=event["job"]["name"], facets=facets(event["job"].get("facets"))),
        inputs=[
            InputDataset(namespace=d["namespace"], name=d["name"], inputFacets=facets(d.get("inputFacets")) or None)
            for d in event.get("inputs", [])
        ],
        outputs=[
            OutputDataset(namespace=d["namespace"], name=d["name"], outputFacets=facets(d.get("outputFacets")) or None)
            for d in event.get("outputs", [])
        ],
        producer=event["producer"],
    )


def pruned(value):
    """Without empty objects: the model writes `facets: {}` where the spec lets an event leave it out."""
    if isinstance(value, dict):
        return {k: pruned(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


def main() -> int:
    failed = 0
    with open(sys.argv[1], encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line)
            try:
                again = pruned(Serde.to_dict(rebuild(event)))
                if again != pruned(event):
                    raise ValueError(f"differs from the model: {json.dumps(again, sort_keys=True)}")
                print(json.dumps({"eventType": event["eventType"], "ok": True}))
            except Exception as e:  # noqa: BLE001 - any failure is the verdict on this event
                failed += 1
                print(json.dumps({"eventType": event.get("eventType"), "ok": False, "error": str(e)}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
