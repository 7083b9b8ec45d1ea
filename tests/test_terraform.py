"""Terraform itself on everything the project writes: ``init``, ``fmt -check``, ``validate``.

Iterates whatever ``stacks/__main__.py`` STACKS lists and whatever ``modules/`` holds, plus
the CLI's ``module``/``modules`` output in both formats. Terraform runs offline through
``tests.terraform`` (mirror-only CLI config).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from stacks.__main__ import STACKS
from tests import terraform
from tests.helpers import REPO

COMMITTED_MODULES = sorted(p for p in (REPO / "modules").iterdir() if (p / "main.tf").is_file())


def _parallel(items: Iterable[Path], check: Callable[[Path], list[str]]) -> dict[str, list[str]]:
    """``check`` on every dir (2 threads: terraform is mostly waiting on the provider)."""
    dirs = list(items)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(check, dirs))
    return {str(d): errors for d, errors in zip(dirs, results, strict=True) if errors}


def _run(command: list[str], **env: str) -> None:
    result = subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{command}: exit {result.returncode}\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def tf_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    terraform.require_terraform()
    return tmp_path_factory.mktemp("terraform")


@pytest.fixture(scope="module")
def written(
    tf_base: Path, reference_app_json: Path, modules: dict[str, Any]
) -> dict[str, list[Path]]:
    """Every Terraform directory the project writes, by kind, as copies under ``tf_base``.

    The HCL stacks come from ``MFB_HCL=1 make synth`` (the documented command; its exit
    code is asserted); modules from the committed ``modules/`` and from ``module.write``
    (what ``metaflow-blueprints module/modules --format hcl|json`` call) in both formats.
    """
    from metaflow_blueprints.export import module

    hcl_out = tf_base / "hcl"
    make = ["make", "-s", "-o", ".venv/.installed", "synth", f"BIN={Path(sys.executable).parent}"]
    with ThreadPoolExecutor(max_workers=1) as pool:
        synth = pool.submit(_run, make, MFB_HCL="1", CDKTF_OUTDIR=str(hcl_out))
        built = list(modules.values())
        module.write(built, tf_base / "mod-hcl", fmt="hcl", nested=True)
        module.write(built, tf_base / "mod-json", fmt="json", nested=True)
        synth.result()
    json_stacks = tf_base / "json"
    shutil.copytree(reference_app_json / "stacks", json_stacks)
    committed = tf_base / "committed"
    for module_dir in COMMITTED_MODULES:
        shutil.copytree(module_dir, committed / module_dir.name)
    return {
        "json stacks": [json_stacks / name for name in STACKS],
        "hcl stacks": [hcl_out / "stacks" / name for name in STACKS],
        "committed modules": [committed / d.name for d in COMMITTED_MODULES],
        "modules (hcl)": [tf_base / "mod-hcl" / name for name in modules],
        "modules (json)": [tf_base / "mod-json" / name for name in modules],
    }


def test_written_dirs_hold_what_each_format_promises(written: dict[str, list[Path]]) -> None:
    assert COMMITTED_MODULES, "modules/ holds no module"
    for path in written["hcl stacks"]:
        assert (path / "cdk.tf").is_file() and not (path / "cdk.tf.json").exists(), path
    for path in written["json stacks"]:
        assert (path / "cdk.tf.json").is_file() and not (path / "cdk.tf").exists(), path
    assert all((path / "main.tf").is_file() for path in written["modules (hcl)"])
    assert all((path / "main.tf.json").is_file() for path in written["modules (json)"])


@pytest.mark.parametrize(
    "kind",
    ["json stacks", "hcl stacks", "committed modules", "modules (hcl)", "modules (json)"],
)
def test_terraform_init_finds_no_configuration_error(
    kind: str, written: dict[str, list[Path]], tf_base: Path
) -> None:
    errors = _parallel(written[kind], lambda d: terraform.init(d, config_dir=tf_base))
    assert errors == {}


# --- the init filter tolerates only "provider not in the mirror" ---------------------------


def test_init_filter_still_reports_a_configuration_error(tmp_path: Path) -> None:
    """A broken config next to an unmirrored provider: the provider error is tolerated, the
    configuration errors (the old depends_on bug, a bad version constraint) are not."""
    terraform.require_terraform()
    broken = {
        "terraform": {"required_providers": {"random": {"source": "hashicorp/random"}}},
        "resource": {
            "random_id": {"a": {"byte_length": 4}},
            "random_pet": {"b": {"depends_on": ["${random_id.a}"]}},
        },
    }
    (tmp_path / "main.tf.json").write_text(json.dumps(broken))
    errors = terraform.init(tmp_path, config_dir=tmp_path)
    assert any("A single static variable reference is required" in e for e in errors), errors

    bad_constraint = tmp_path / "constraint"
    bad_constraint.mkdir()
    (bad_constraint / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
        '      version = "banana"\n    }\n  }\n}\n'
    )
    assert terraform.init(bad_constraint, config_dir=tmp_path) != []


def test_init_filter_tolerates_only_an_unmirrored_provider(tmp_path: Path) -> None:
    terraform.require_terraform()
    (tmp_path / "main.tf.json").write_text(
        json.dumps(
            {
                "terraform": {"required_providers": {"random": {"source": "hashicorp/random"}}},
                "resource": {"random_id": {"a": {"byte_length": 4}}},
            }
        )
    )
    result = terraform.run(
        ["init", "-backend=false", "-input=false", "-no-color"], tmp_path, config_dir=tmp_path
    )
    assert result.returncode != 0  # the mirror lacks hashicorp/random: a real, tolerated error
    assert "Failed to query available provider packages" in result.output
    assert terraform.init_errors(result) == []


# --- terraform fmt ---------------------------------------------------------------------------


def _fmt_diff(directory: Path, config_dir: Path) -> list[str]:
    result = terraform.run(
        ["fmt", "-check", "-diff", "-no-color", "."], directory, config_dir=config_dir
    )
    return [] if result.returncode == 0 else [result.output[-4000:]]


def test_terraform_fmt_accepts_every_hcl_file(
    written: dict[str, list[Path]], tf_base: Path
) -> None:
    hcl_dirs = [*written["hcl stacks"], *written["committed modules"], *written["modules (hcl)"]]
    assert all(list(d.glob("*.tf")) for d in hcl_dirs)
    assert _parallel(hcl_dirs, lambda d: _fmt_diff(d, tf_base)) == {}


def test_terraform_fmt_accepts_the_module_readme_examples(tf_base: Path) -> None:
    checked = 0
    for module_dir in COMMITTED_MODULES:
        readme = (module_dir / "README.md").read_text()
        for block in re.findall(r"```hcl\n(.*?)```", readme, re.S):
            target = tf_base / "readme-examples" / module_dir.name
            target.mkdir(parents=True, exist_ok=True)
            (target / f"example{checked}.tf").write_text(block)
            checked += 1
    assert checked >= len(COMMITTED_MODULES)
    assert _fmt_diff(tf_base / "readme-examples", tf_base) == []


def test_fmt_check_catches_an_interpolation_only_string(tmp_path: Path) -> None:
    """The defect this suite guards against, shown to be caught by the real fmt."""
    terraform.require_terraform()
    (tmp_path / "main.tf").write_text('output "x" {\n  value = "${var.y}"\n}\n')
    assert _fmt_diff(tmp_path, tmp_path) != []


# --- terraform validate with the real hashicorp/aws schema --------------------------------

#: Rewrites from what the aws 6.x bindings write to the mirrored aws 5.x schema:
#: (regex, replacement, why), applied to the config text before validating. Keep it short;
#: every entry is a real 5 -> 6 difference, not a workaround for our own mistakes.
V5_ADAPTATIONS: tuple[tuple[str, str, str], ...] = (
    (
        r"(data\.aws_region\.[\w-]+)\.region\b",
        r"\1.name",
        "aws 6 renamed the aws_region data source's `name` to `region` (5.x has only `name`)",
    ),
    (
        r'(, )?"disable_session_tags": false(?(1)|(, )?)',  # json.dumps separators
        "",
        "aws_eks_pod_identity_association's `disable_session_tags` is newer than the 5.x "
        "schema; we set it to its default (false: session tags on, which the trust relies on)",
    ),
)

_STUB = "stub_{type}__{name}"


def aws_part(doc: dict[str, Any], aws_version: str) -> dict[str, Any] | None:
    """The AWS resources/data of ``doc`` as a config of its own, or None if it has none.

    Non-AWS resources and data sources (kubernetes, random, google: not in the mirror) are
    dropped; every reference to one (``random_id.x.hex``, ``data.google_y.z.id``) becomes a
    reference to a variable ``stub_<type>__<name>`` of type ``any``, whose attributes
    Terraform accepts as unknown values; ``depends_on`` entries naming them are dropped. The
    required aws version becomes the mirror's (an exact pin, so the mirrored schema is used)
    and :data:`V5_ADAPTATIONS` are applied.
    """
    keep: dict[str, dict[str, Any]] = {}
    stubs: dict[str, str] = {}
    for section in ("resource", "data"):
        for type_, items in (doc.get(section) or {}).items():
            if type_.startswith("aws_"):
                keep.setdefault(section, {})[type_] = items
                continue
            prefix = "data." if section == "data" else ""
            for name in items:
                stubs[f"{prefix}{type_}.{name}"] = _STUB.format(type=prefix + type_, name=name)
    if "resource" not in keep and "data" not in keep:
        return None
    config: dict[str, Any] = {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": aws_version}}
        },
        **{key: doc[key] for key in ("variable", "locals", "output") if key in doc},
        **keep,
    }
    if "aws" in (doc.get("provider") or {}):
        config["provider"] = {"aws": doc["provider"]["aws"]}
    for items in keep.get("resource", {}).values():
        for body in items.values():
            if "depends_on" in body:
                body["depends_on"] = [d for d in body["depends_on"] if d not in stubs]
    text = json.dumps(config)
    for pattern, replacement, _why in V5_ADAPTATIONS:
        text = re.sub(pattern, replacement, text)
    for ref in sorted(stubs, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.]){re.escape(ref)}(?![\w-])", f"var.{stubs[ref]}", text)
    config = json.loads(text)
    used = {stub for stub in stubs.values() if f"var.{stub}" in text}
    if used:
        config.setdefault("variable", {}).update({stub: {"type": "any"} for stub in sorted(used)})
    return config


def _validate(workdir: Path, config_dir: Path) -> list[str]:
    errors = terraform.init(workdir, config_dir=config_dir)
    if errors:
        return errors
    result = terraform.run(["validate", "-json", "-no-color"], workdir, config_dir=config_dir)
    report = json.loads(result.stdout)
    return [
        f"{d['severity']}: {d['summary']}: {d.get('detail', '')} "
        f"({d.get('range', {}).get('filename')}:{d.get('range', {}).get('start', {}).get('line')})"
        for d in report["diagnostics"]
    ] + ([] if report["valid"] else ["invalid"])


def test_terraform_validate_the_aws_parts_with_the_mirrored_provider(
    reference_app_json: Path, tf_base: Path
) -> None:
    _, version = terraform.require_aws_mirror()
    from metaflow_blueprints.export import module, registry

    docs: dict[str, dict[str, Any]] = {
        f"stack-{name}": json.loads(
            (reference_app_json / "stacks" / name / "cdk.tf.json").read_text()
        )
        for name in STACKS
    }
    docs.update({f"module-{n}": module.build(registry.get(n)).doc for n in registry.names()})
    dirs = []
    for label, doc in docs.items():
        config = aws_part(doc, version)
        if config is None:
            continue
        target = tf_base / "validate" / label
        target.mkdir(parents=True)
        (target / "main.tf.json").write_text(json.dumps(config, indent=2))
        dirs.append(target)
    labels = {d.name for d in dirs}
    assert "stack-aws" in labels and {"module-s3", "module-dynamodb"} <= labels, labels
    assert _parallel(dirs, lambda d: _validate(d, tf_base)) == {}


def test_validate_reports_an_attribute_the_aws_schema_lacks(tmp_path: Path) -> None:
    """The validate harness can fail: a made-up attribute on a real resource is an error."""
    _, version = terraform.require_aws_mirror()
    doc = {"resource": {"aws_sqs_queue": {"q": {"name": "q", "no_such_attribute": True}}}}
    config = aws_part(doc, version)
    assert config is not None
    (tmp_path / "main.tf.json").write_text(json.dumps(config))
    errors = _validate(tmp_path, tmp_path)
    assert any("no_such_attribute" in e or "Unsupported argument" in e for e in errors), errors


def test_fmt_agrees_with_the_renderer_on_interpolation_edge_cases(tmp_path: Path) -> None:
    """Which strings ``terraform fmt`` unwraps (and how) is decided by terraform, not us."""
    terraform.require_terraform()
    from metaflow_blueprints.export import hcl

    values = [
        "${var.a}",
        "${var.a}-${var.b}",
        "x${var.a}",
        "${var.a}${var.b}",
        "%{if var.c}y%{endif}",
        '${upper("a-${var.b}")}',
        "${var.m == null ? {} : { k = 1 }}",
        "${\nvar.a == null\n? 1\n: 2\n}",
        "$${literal}",
        "plain",
    ]
    doc = {
        "variable": {name: {"type": "any"} for name in ("a", "b", "c", "m")},
        "output": {f"o{i}": {"value": value} for i, value in enumerate(values)},
    }
    (tmp_path / "main.tf").write_text(hcl.to_hcl(doc))
    assert _fmt_diff(tmp_path, tmp_path) == []
    text = (tmp_path / "main.tf").read_text()
    assert "value = var.a\n" in text and '"${var.a}-${var.b}"' in text
    assert "(var.a == null" in text  # multi-line: parenthesized, as terraform does
