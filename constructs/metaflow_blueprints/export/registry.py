"""The module spec of every exported blueprint: one entry per blueprint in :data:`MODULES`.

To add a blueprint: write a ``_<name>()`` function returning its :class:`ModuleSpec` (reuse
:func:`metaflow_inputs` and :func:`metaflow_events`) and list it in ``_FACTORIES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from metaflow_blueprints.argo.eventsource import WEBHOOK_ENDPOINT
from metaflow_blueprints.argo.names import NAMESPACE_NAME, OBJECT_NAME
from metaflow_blueprints.export.spec import Input, ModuleSpec, Output, Validation
from metaflow_blueprints.metaflow.bridge import default_webhook_url
from metaflow_blueprints.metaflow.contract import BRIDGE_SENSOR_PREFIX, EVENT_NAME
from metaflow_blueprints.runtime import Fn

#: Kubernetes namespace (DNS-1123 label), as ``MetaflowEvents`` checks it.
NAMESPACE = NAMESPACE_NAME.pattern
#: Longest ``name`` a module accepts: the bridge sensor is ``mfb--<name>`` (47 at most). The
#: construct hashes longer stems; Terraform cannot reproduce that hash, so modules refuse them.
NAME_MAX = 47 - len(BRIDGE_SENSOR_PREFIX)

OBJECT_NAME_RULE = Validation(
    regex=OBJECT_NAME.pattern,
    message="must be 1-47 characters: lower-case letters, digits and '-', starting with a "
    "letter and ending with a letter or digit.",
)
NAME_INPUT = Input(
    "name",
    description="Stem of the EventSource, Sensor and Secret names; unique per namespace. "
    f"At most {NAME_MAX} characters (the bridge sensor is `{BRIDGE_SENSOR_PREFIX}<name>`).",
    validations=(
        Validation(
            regex=OBJECT_NAME.pattern,
            max_length=NAME_MAX,
            message=f"must be 1-{NAME_MAX} characters: lower-case letters, digits and '-', "
            "starting with a letter and ending with a letter or digit.",
        ),
    ),
    derived="${var.name}",
)
EVENT_INPUT = Input(
    "event",
    validations=(
        Validation(
            regex=EVENT_NAME.pattern,
            message="is not a valid Metaflow event name: use letters, digits, '_', '.' and "
            "'-' (e.g. 'data.updated').",
        ),
    ),
    # The Argo event key is derived in Python; one fixed key per EventSource is enough.
    derived="metaflow-event",
)


def metaflow_inputs() -> tuple[Input, ...]:
    """Inputs describing the cluster's Metaflow setup (``MetaflowEvents`` props)."""
    return (
        Input(
            "namespace",
            default="default",
            description="Namespace of Metaflow's Argo Events setup (EventBus, webhook "
            "EventSource); the blueprint's objects go there too.",
            validations=(
                Validation(regex=NAMESPACE, message="is not a valid Kubernetes namespace."),
            ),
        ),
        Input(
            "event_bus",
            default="default",
            description="Argo Events EventBus (METAFLOW_ARGO_EVENTS_EVENT_BUS).",
            validations=(OBJECT_NAME_RULE,),
        ),
        Input(
            "webhook_url",
            default=None,
            description="In-cluster URL of Metaflow's webhook EventSource. Default (null): "
            "http://argo-events-webhook-eventsource-svc.<namespace>:12000/metaflow-event.",
            validations=(
                Validation(regex="^https?://", message="must be an http:// or https:// URL."),
            ),
        ),
    )


def metaflow_events(stack: Any, v: Mapping[str, Any]) -> Any:
    """The ``MetaflowEvents`` construct built from :func:`metaflow_inputs`."""
    from metaflow_blueprints.metaflow_events import MetaflowEvents

    url = Fn.coalesce([v["webhook_url"], default_webhook_url(v["namespace"])])
    return MetaflowEvents(
        stack, "metaflow", namespace=v["namespace"], event_bus=v["event_bus"], webhook_url=url
    )


def common_outputs() -> tuple[Output, ...]:
    """EventSource and Sensor names, which every blueprint has."""
    return (
        Output("event_source_name", lambda b: b.event_source.name, "Name of the EventSource."),
        Output("sensor_name", lambda b: b.sensor.name, "Name of the bridge Sensor."),
    )


def _webhook() -> ModuleSpec:
    def build(stack: Any, v: Mapping[str, Any]) -> Any:
        from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow

        return WebhookToMetaflow(
            stack,
            "webhook",
            metaflow=metaflow_events(stack, v),
            event=v["event"],
            name=v["name"],
            endpoint=Fn.coalesce([v["endpoint"], "/" + v["name"]]),
        )

    return ModuleSpec(
        name="webhook",
        blueprint="metaflow_blueprints.blueprints.webhook:WebhookToMetaflow",
        build=build,
        summary="An authenticated JSON webhook inside the cluster starts every flow with "
        "`@trigger(event=var.event)`.",
        inputs=(
            NAME_INPUT,
            EVENT_INPUT,
            Input(
                "endpoint",
                default=None,
                description="URL path of the webhook. Default (null): `/<name>`.",
                validations=(
                    Validation(
                        regex=WEBHOOK_ENDPOINT.pattern,
                        forbidden=("/health",),
                        message="must be a URL path starting with '/' (letters, digits, "
                        "'._~-/'), not /health.",
                    ),
                ),
            ),
            *metaflow_inputs(),
        ),
        outputs=(
            *common_outputs(),
            Output("url", lambda b: b.url, "In-cluster URL of the webhook."),
            Output(
                "token",
                lambda b: b.token.value,
                "Bearer token callers must send (Authorization: Bearer <token>).",
                sensitive=True,
            ),
            Output(
                "token_secret_name",
                lambda b: b.token.secret.name,
                "Secret (key `token`) holding the bearer token.",
            ),
        ),
        notes=(
            "The request payload mapping, filters, port (12000), method (POST) and bearer "
            "authentication are fixed in this module; use the construct for other choices.",
            "No Ingress: the webhook is reachable in-cluster only. Put an Ingress in front "
            "of `<name>-eventsource-svc` port 12000 to expose it.",
        ),
    )


_FACTORIES: dict[str, Callable[[], ModuleSpec]] = {
    "webhook": _webhook,
}


def names() -> list[str]:
    """Exportable blueprint names."""
    return sorted(_FACTORIES)


def get(name: str) -> ModuleSpec:
    """The spec of blueprint ``name``; ``KeyError`` names the known ones."""
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise KeyError(f"unknown blueprint {name!r}; known: {', '.join(names())}") from None
