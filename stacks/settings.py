"""Example settings of the reference stacks, overridable without editing code.

Defaults below describe a Metaflow deployment whose Argo Events objects (EventBus,
Metaflow's webhook EventSource) and jobs live in namespace ``metaflow`` (a dedicated
namespace rather than ``default``, as checkov's CKV_K8S_21 asks). Override any of them
with a JSON file named by ``MFB_SETTINGS``::

    {"namespace": "argo-events", "webhook": {"ingress_host": "hooks.example.com"}}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "namespace": "metaflow",
    "event_bus": "default",
    "webhook_url": None,  # None: Metaflow's reference webhook URL in `namespace`
    "kubeconfig": "~/.kube/config",
    # The `platform` stack (Argo Events + Metaflow's event side). enabled=false: adopt an
    # existing install instead; the other stacks then use namespace/event_bus/webhook_url.
    "platform": {
        "enabled": True,
        "namespaced": True,
        "jetstream_version": "2.10.10",
        "replicas": 3,
    },
    "webhook": {
        "event": "data.updated",
        "ingress_host": "hooks.example.com",
        "ingress_tls_secret": "hooks-example-com-tls",
        "ingress_class": "nginx",
        "allowed_source_ranges": ["203.0.113.0/24"],
    },
}


def load() -> dict[str, Any]:
    """Defaults merged (one level deep) with the JSON file named by ``MFB_SETTINGS``."""
    settings = json.loads(json.dumps(DEFAULTS))
    path = os.environ.get("MFB_SETTINGS")
    if path:
        for key, value in json.loads(Path(path).read_text()).items():
            if isinstance(value, dict) and isinstance(settings.get(key), dict):
                settings[key].update(value)
            else:
                settings[key] = value
    return settings
