"""Compile Metaflow's own Argo Events Sensor for an example flow, offline.

Runs Metaflow's ``ArgoWorkflows._process_triggers`` and ``_compile_sensor`` (the code
``argo-workflows create`` uses) on a flow file, without a cluster, datastore or code
package. Run as a script in a subprocess: Metaflow reads its configuration from the
environment at import time. Prints the sensor JSON.

    python tests/metaflow_sensor.py FLOW_FILE FLOW_CLASS NAMESPACE [EVENT_BUS]
    python tests/metaflow_sensor.py --reserved     # Metaflow's reserved parameter names
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import sys

# Run as a script, this file's folder heads sys.path: drop it, so that the test packages named
# after the library's (tests/metaflow, tests/platform) shadow neither Metaflow nor the stdlib.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]


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


def _literal_list(source_file: str, variable: str) -> list[str]:
    """The string list assigned to ``variable`` in ``source_file`` (read with ast)."""
    with open(source_file, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == variable for t in node.targets)
        ):
            return [str(v) for v in ast.literal_eval(node.value)]
    raise AssertionError(f"{variable} not found in {source_file}")


def reserved_parameter_names() -> list[str]:
    """Parameter names the installed Metaflow refuses, read from its source and confirmed.

    ``Parameter.init`` refuses ``reserved_params`` and their '_' spellings; every name found
    is confirmed by constructing the Parameter (and a harmless name must pass). Argo
    Workflows' ``_process_parameters`` adds ``reserved_argo_params``.
    """
    os.environ.setdefault("METAFLOW_DEFAULT_METADATA", "local")
    import metaflow.parameters
    import metaflow.plugins.argo.argo_workflows as argo
    from metaflow import Parameter
    from metaflow.exception import MetaflowException

    core = _literal_list(metaflow.parameters.__file__, "reserved_params")
    names = {*core, *(n.replace("-", "_") for n in core)}
    for name in sorted(names):
        try:
            Parameter(name, default="").init()
        except MetaflowException as exc:
            assert "reserved" in str(exc), exc
        else:
            raise AssertionError(f"Metaflow accepted the reserved parameter name {name!r}")
    Parameter("dbt_run_id", default="").init()
    return sorted(names | set(_literal_list(argo.__file__, "reserved_argo_params")))


if __name__ == "__main__":
    if sys.argv[1:] == ["--reserved"]:
        print(json.dumps(reserved_parameter_names()))
    else:
        print(json.dumps(compile_sensor(*sys.argv[1:5])))
