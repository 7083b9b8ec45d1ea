"""The reference app: ``python -m stacks`` (what ``cdktf synth`` and ``make synth`` run)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping

from metaflow_blueprints.runtime import App, declare_required_providers
from metaflow_blueprints.synth import synth_app
from stacks import settings as settings_module

#: Stack name -> "module:class". One line per reference stack. ``platform`` comes first:
#: the others find it in the app and depend on it (see stacks/common.py).
STACKS = {
    "platform": "stacks.platform:PlatformStack",
    "aws": "stacks.aws:AwsStack",
    "gcp": "stacks.gcp:GcpStack",
    "webhook": "stacks.webhook:WebhookStack",
    "vendor_webhooks": "stacks.vendor_webhooks:VendorWebhooksStack",
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
        stack = getattr(importlib.import_module(module), cls)(app, name, settings)
        declare_required_providers(stack)
    return app


def hcl_requested(env: Mapping[str, str]) -> bool:
    """``MFB_HCL=1``, or ``cdktf synth --hcl`` (the cdktf CLI sets ``CDKTF_HCL_OUTPUT=true``)."""
    return env.get("MFB_HCL", "") in ("1", "true") or env.get("CDKTF_HCL_OUTPUT", "") == "true"


def main() -> None:
    hcl = hcl_requested(os.environ)
    try:
        app = build(hcl=hcl)
    except settings_module.SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    synth_app(app, hcl_output=hcl)


if __name__ == "__main__":
    main()
