"""Compile Metaflow's own Argo Events Sensor for an example flow, offline.

Runs Metaflow's ``ArgoWorkflows._process_triggers`` and ``_compile_sensor`` (the code
``argo-workflows create`` uses) on a flow file, without a cluster, datastore or code
package. Run as a script in a subprocess: Metaflow reads its configuration from the
environment at import time. Prints the sensor JSON.

    python tests/metaflow_sensor.py FLOW_FILE FLOW_CLASS NAMESPACE [EVENT_BUS]
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys


def compile_sensor(
    flow_file: str, flow_class: str, namespace: str, event_bus: str = "default"
) -> dict[str, object]:
    os.environ.update(
        {
            "METAFLOW_KUBERNETES_NAMESPACE": namespace,
            "METAFLOW_ARGO_EVENTS_EVENT_BUS": event_bus,
            "METAFLOW_ARGO_EVENTS_EVENT_SOURCE": "argo-events-webhook",
            "METAFLOW_ARGO_EVENTS_EVENT": "metaflow-event",
            "METAFLOW_ARGO_EVENTS_SERVICE_ACCOUNT": "operate-workflow-sa",
            "METAFLOW_DEFAULT_METADATA": "local",
            "METAFLOW_DEFAULT_DATASTORE": "local",
            "USERNAME": "tester",
        }
    )
    from metaflow import decorators
    from metaflow.plugins.argo.argo_workflows import ArgoWorkflows

    spec = importlib.util.spec_from_file_location("example_flow", flow_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    flow = getattr(module, flow_class)(use_cli=False)
    for _, parameter in flow._get_parameters():
        parameter.init()
    decorators._init_flow_decorators(
        flow, flow._graph, None, None, None, None, lambda *a, **k: None, {}
    )
    deployer = ArgoWorkflows.__new__(ArgoWorkflows)
    deployer.name = flow_class.lower()
    deployer.flow = flow
    deployer.graph = flow._graph
    deployer.parameters = deployer._process_parameters()
    deployer.triggers, deployer.trigger_options = deployer._process_triggers()
    deployer._base_labels = {}
    deployer._base_annotations = {}
    sensor = deployer._compile_sensor()
    return json.loads(json.dumps(sensor.to_json()))


if __name__ == "__main__":
    print(json.dumps(compile_sensor(*sys.argv[1:5])))
