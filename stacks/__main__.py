"""The reference app: ``python -m stacks`` (what ``cdktf synth`` and ``make synth`` run)."""

from __future__ import annotations

import importlib
import os

from metaflow_blueprints.runtime import App
from metaflow_blueprints.synth import synth_app
from stacks import settings as settings_module

#: Stack name -> "module:class". One line per reference stack. ``platform`` comes first:
#: the others find it in the app and depend on it (see stacks/common.py).
STACKS = {
    "platform": "stacks.platform:PlatformStack",
    "aws": "stacks.aws:AwsStack",
    "gcp": "stacks.gcp:GcpStack",
    "webhook": "stacks.webhook:WebhookStack",
    "webhooks": "stacks.webhooks:WebhooksStack",
    "snowflake": "stacks.snowflake:SnowflakeStack",
}


def build(outdir: str | None = None, *, hcl: bool = False) -> App:
    """Build every reference stack into one App."""
    settings = settings_module.load()
    app = App(outdir=outdir or os.environ.get("CDKTF_OUTDIR", "cdktf.out"), hcl_output=hcl)
    for name, target in STACKS.items():
        if name == "platform" and not settings["platform"]["enabled"]:
            continue
        module, _, cls = target.partition(":")
        getattr(importlib.import_module(module), cls)(app, name, settings)
    return app


def main() -> None:
    hcl = os.environ.get("MFB_HCL", "") in ("1", "true")
    synth_app(build(hcl=hcl), hcl_output=hcl)


if __name__ == "__main__":
    main()
