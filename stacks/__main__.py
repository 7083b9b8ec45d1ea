"""The reference app: ``python -m stacks`` (what ``cdktf synth`` and ``make synth`` run)."""

from __future__ import annotations

import os

from metaflow_blueprints.runtime import App, synth_app
from stacks import settings as settings_module
from stacks.webhook import WebhookStack

STACKS = {"webhook": WebhookStack}


def build(outdir: str | None = None) -> App:
    """Build every reference stack into one App."""
    settings = settings_module.load()
    app = App(outdir=outdir or os.environ.get("CDKTF_OUTDIR", "cdktf.out"))
    for name, stack in STACKS.items():
        stack(app, name, settings)
    return app


def main() -> None:
    synth_app(build(), hcl=os.environ.get("MFB_HCL", "") in ("1", "true"))


if __name__ == "__main__":
    main()
