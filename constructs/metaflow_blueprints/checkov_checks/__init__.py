"""Custom checkov checks for what checkov cannot see inside Argo Events manifests.

Run them on any Terraform JSON (``cdktf synth`` output, or ``terraform show -json`` is not
supported: use the synthesized ``cdk.tf.json``)::

    CHECKS=$(python -c 'import metaflow_blueprints.checkov_checks as c; print(c.directory())')
    checkov -d cdktf.out/stacks/<stack> --framework terraform_json --external-checks-dir "$CHECKS"

* ``CKV_MFB_1``: an Ingress in front of an Argo Events webhook (a backend Service named
  ``<eventsource>-eventsource-svc``, or any Ingress made by metaflow-blueprints) serves TLS:
  it has a ``tls`` block, or the annotation ``metaflow-blueprints.io/tls: upstream`` says
  a load balancer ends TLS in front of it.
* ``CKV_MFB_2``: an Ingress does not route to an Argo webhook EventSource (found by name in
  the same file) whose webhook has no ``authSecret``. Ingresses to a signature verifier
  pass; an EventSource not found in the file is not judged.

This module imports nothing from checkov: checkov loads the check files next to it.
"""

from __future__ import annotations

from pathlib import Path


def directory() -> str:
    """The directory to pass to ``checkov --external-checks-dir``."""
    return str(Path(__file__).resolve().parent)
