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


class SettingsError(ValueError):
    """The ``MFB_SETTINGS`` file is unreadable or names a setting no stack reads."""


def sections() -> dict[str, dict[str, Any]]:
    """Setting sections (objects) and the keys each one may hold."""
    from stacks import aws, gcp, vendor_webhooks

    return {
        "platform": DEFAULTS["platform"],
        "webhook": DEFAULTS["webhook"],
        "aws": aws.DEFAULTS,
        "gcp": gcp.DEFAULTS,
        "dbt_cloud": vendor_webhooks.DBT_CLOUD,
        "fivetran": vendor_webhooks.FIVETRAN,
    }


def load() -> dict[str, Any]:
    """Defaults merged (one level deep) with the JSON file named by ``MFB_SETTINGS``.

    Raises :class:`SettingsError` for a file that is not a JSON object or that holds a key
    (or a key of a section) that no reference stack reads: a typo never passes silently.
    """
    settings = json.loads(json.dumps(DEFAULTS))
    path = os.environ.get("MFB_SETTINGS")
    if path:
        for key, value in _read(path).items():
            if isinstance(value, dict) and isinstance(settings.get(key), dict):
                settings[key].update(value)
            else:
                settings[key] = value
    return settings


def _read(path: str) -> dict[str, Any]:
    where = f"MFB_SETTINGS={path}"
    try:
        given = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{where}: cannot read a JSON object ({exc})") from None
    if not isinstance(given, dict):
        raise SettingsError(f"{where}: must hold a JSON object, not {type(given).__name__}")
    known = sections()
    for key, value in given.items():
        if key not in DEFAULTS and key not in known:
            names = ", ".join(sorted({*DEFAULTS, *known}))
            raise SettingsError(f"{where}: unknown setting {key!r} (known: {names})")
        if key in known:
            if not isinstance(value, dict):
                raise SettingsError(f"{where}: {key!r} must be an object of settings")
            unknown = sorted(set(value) - set(known[key]))
            if unknown:
                names = ", ".join(sorted(known[key]))
                raise SettingsError(
                    f"{where}: unknown setting {key}.{unknown[0]} (known in {key!r}: {names})"
                )
    return given
