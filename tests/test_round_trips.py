"""Per-blueprint cost: jsii round trips and memoised type hints (issue #15's 15 ms target).

Every jsii round trip is a JSON message to the Node.js kernel and back, a fraction of a
millisecond each on both sides; these tests pin how many one more webhook blueprint costs,
and that the caches behind that number keep the library's behaviour (checks, errors, output).
"""

from __future__ import annotations

import collections
import typing
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from metaflow_blueprints import jsii_hints
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.k8s.claims import claim
from metaflow_blueprints.runtime import (
    App,
    TerraformResource,
    TerraformStack,
    address,
    path_of,
    provider_module,
    stack_of,
    synth_stack,
)


@contextmanager
def _round_trips() -> Iterator[collections.Counter[str]]:
    """Count the jsii kernel requests sent inside the block, by request type."""
    from jsii._kernel.providers import process

    counts: collections.Counter[str] = collections.Counter()
    original = process._NodeProcess.send

    def send(self: object, request: object, response_type: object) -> object:
        counts[type(request).__name__] += 1
        return original(self, request, response_type)  # type: ignore[arg-type]

    process._NodeProcess.send = send  # type: ignore[method-assign,assignment]
    try:
        yield counts
    finally:
        process._NodeProcess.send = original  # type: ignore[method-assign]


def _webhook_stack() -> tuple[TerraformStack, object]:
    from metaflow_blueprints import MetaflowEvents

    stack = TerraformStack(App(), "bench")
    provider_module("kubernetes", "provider").KubernetesProvider(stack, "k8s")
    provider_module("random", "provider").RandomProvider(stack, "random")
    return stack, MetaflowEvents(stack, "metaflow", namespace="metaflow")


def test_one_more_webhook_blueprint_costs_few_jsii_round_trips() -> None:
    from metaflow_blueprints import WebhookToMetaflow

    stack, metaflow = _webhook_stack()
    WebhookToMetaflow(stack, "warm", metaflow=metaflow, event="a.b")  # loads modules once
    with _round_trips() as counts:
        WebhookToMetaflow(stack, "hook", metaflow=metaflow, event="data.updated")
    # 11 creates (5 constructs, 4 resources, 2 outputs), 3 depends_on sets, the token's
    # result and 2 logical ids: 17. Stacks and paths come from the Python side (runtime's
    # Construct remembers its scope). It was 47 before the caches, 22 before that.
    assert counts["CreateRequest"] == 11, counts
    assert sum(counts.values()) == 17, counts


def test_stacks_and_paths_known_in_python_are_what_the_kernel_says() -> None:
    """Odd ids (constructs escapes '/' and newlines), nesting, a stack in a construct."""
    from metaflow_blueprints.runtime import LibraryConstruct as Construct

    app = App()
    stack = TerraformStack(app, "odd/stack")
    outer = Construct(stack, "a/b")
    inner = Construct(outer, "line\nbreak")
    deepest = Construct(inner, "x--y")
    with _round_trips() as counts:
        known = [(stack_of(c), path_of(c)) for c in (outer, inner, deepest)]
    assert counts == {"GetRequest": 2}, counts  # the stack's node.path, once
    for construct, (stack_known, path_known) in zip((outer, inner, deepest), known, strict=True):
        assert stack_known is TerraformStack.of(construct) is stack
        assert path_known == construct.node.path
    assert path_of(deepest) == "odd--stack/a--b/line--break/x--y"


def test_remembered_stack_path_and_address_are_what_jsii_says() -> None:
    stack, metaflow = _webhook_stack()
    from metaflow_blueprints import WebhookToMetaflow

    hook = WebhookToMetaflow(stack, "hook", metaflow=metaflow, event="data.updated")
    assert stack_of(hook) is TerraformStack.of(hook)
    assert path_of(hook) == hook.node.path == "bench/hook"
    sensor = hook.sensor.manifest
    expected = f"{sensor.terraform_resource_type}.{sensor.friendly_unique_id}"
    assert address(sensor) == expected
    with _round_trips() as counts:
        assert (stack_of(hook), path_of(hook), address(sensor)) == (stack, "bench/hook", expected)
    assert sum(counts.values()) == 0, counts
    # The event source waits for the sensor by exactly that address (Terraform JSON).
    synthesized = synth_stack(stack)["resource"]["kubernetes_manifest"]
    (source,) = [v for k, v in synthesized.items() if "event_source" in k]
    assert expected in source["depends_on"]


def test_bare_terraform_resources_keep_their_own_types() -> None:
    """Only binding classes share one type per class; a bare TerraformResource does not."""
    stack = TerraformStack(App(), "bare")
    one = TerraformResource(stack, "one", terraform_resource_type="null_resource")
    two = TerraformResource(stack, "two", terraform_resource_type="terraform_data")
    assert address(one).startswith("null_resource.")
    assert address(two).startswith("terraform_data.")


def test_a_claim_clash_still_names_both_construct_paths() -> None:
    from metaflow_blueprints.runtime import Construct, LibraryConstruct

    stack = TerraformStack(App(), "claims")
    # A plain construct (its stack read from the kernel) and one of the library's.
    first, second = Construct(stack, "first"), LibraryConstruct(stack, "second")
    claim(first, "Secret", "ns", "token")
    claim(first, "Secret", "ns", "token")  # the same construct may claim twice
    with pytest.raises(BlueprintError, match="'claims/first' and 'claims/second'"):
        claim(second, "Secret", "ns", "token")


def test_memoised_hints_are_the_same_and_still_check_every_argument() -> None:
    manifest = provider_module("kubernetes", "manifest")
    private = manifest._private
    assert private.typing is jsii_hints.TYPING  # memoised by provider_module
    stubs = [v for k, v in vars(private).items() if k.startswith("_typecheckingstub__")]
    assert stubs
    for stub in stubs[:20]:
        assert jsii_hints.TYPING.get_type_hints(stub) == typing.get_type_hints(stub)
        assert jsii_hints.TYPING.get_type_hints(stub) is jsii_hints.TYPING.get_type_hints(stub)
    stack = TerraformStack(App(), "typed")
    # jsii's runtime type check (typeguard) still refuses a wrong argument type.
    with pytest.raises(TypeError, match="manifest"):
        manifest.Manifest(stack, "m", manifest=["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="computed_fields"):
        manifest.Manifest(stack, "n", manifest={"kind": "X"}, computed_fields=[1])  # type: ignore[list-item]


def test_memoize_leaves_modules_without_the_real_typing_alone() -> None:
    import types

    module = types.ModuleType("plain")
    module.typing = "something else"  # type: ignore[attr-defined]
    assert jsii_hints.memoize(module) is module
    assert module.typing == "something else"  # type: ignore[attr-defined]
    other = types.ModuleType("other")
    other.typing = typing  # type: ignore[attr-defined]
    jsii_hints.memoize(other)
    assert other.typing is jsii_hints.TYPING  # type: ignore[attr-defined]
    # Non-stub calls go to typing.get_type_hints unchanged (no memo, extras honoured).

    def f(x: typing.Annotated[int, "meta"]) -> None: ...

    assert jsii_hints.TYPING.get_type_hints(f, include_extras=True) == typing.get_type_hints(
        f, include_extras=True
    )


def _outcome(check: typing.Callable[..., object], value: object, hint: object) -> str:
    try:
        check(argname="argument x", value=value, expected_type=hint)
    except TypeError:
        return "refused"
    return "accepted"


def test_fast_check_type_reaches_typeguards_verdict_on_the_real_hints() -> None:
    """typeguard (through each module's own check_type) judges every (hint, value) pair."""
    import constructs

    from metaflow_blueprints import runtime

    modules = [
        provider_module("kubernetes", "manifest"),
        provider_module("kubernetes", "secret_v1"),
        provider_module("random", "password"),
        runtime._framework,
        constructs,
    ]
    from metaflow_blueprints.runtime import LibraryConstruct

    stack = TerraformStack(App(), "verdicts")
    values: list[object] = [None, "", "x", 0, 3, True, 1.5, [], ["a"], {}, {"a": 1}, object()]
    values += [
        stack,
        LibraryConstruct(stack, "c"),
        provider_module("kubernetes", "manifest").ManifestFieldManager(force_conflicts=True),
    ]
    compared = fast_hits = 0
    for module in modules:
        private = getattr(module, "_private", module)
        fast = private.check_type
        typeguard_check = fast.__wrapped__  # the module's own check_type
        hints = [
            hint
            for name, stub in vars(private).items()
            if name.startswith("_typecheckingstub__")
            for hint in jsii_hints.TYPING.get_type_hints(stub).values()
        ]
        assert hints, module
        for hint in hints:
            for value in values:
                verdict = _outcome(typeguard_check, value, hint)
                assert _outcome(fast, value, hint) == verdict, (module, hint, value)
                compared += 1
                fast_hits += verdict == "accepted" and (
                    value is None or type(value) in (str, bool, int)
                )
    assert compared > 1000 and fast_hits > 100, (compared, fast_hits)


def test_one_per_stack_constructs_are_found_without_the_kernel() -> None:
    from metaflow_blueprints.runtime import LibraryConstruct

    class Registry(LibraryConstruct):
        pass

    class Other(LibraryConstruct):
        pass

    stack = TerraformStack(App(), "singletons")
    inside = LibraryConstruct(stack, "inside")
    assert Registry.find_in_stack(inside, "registry") is None
    first = Registry.of_stack(inside, "registry")
    assert first.node.scope is stack  # made in the stack, not in the asking construct
    with _round_trips() as counts:
        assert Registry.of_stack(inside, "registry") is first
        assert Registry.find_in_stack(stack, "registry") is first
    assert sum(counts.values()) == 0, counts
    # Another class under that id is not it; making one there clashes in the kernel.
    assert Other.find_in_stack(stack, "registry") is None
    with pytest.raises(RuntimeError, match="There is already a Construct with name 'registry'"):
        Other.of_stack(stack, "registry")


def test_depends_on_is_written_only_when_it_grows() -> None:
    from metaflow_blueprints.runtime import add_depends_on

    stack = TerraformStack(App(), "deps")
    waiting = TerraformResource(stack, "waiting", terraform_resource_type="terraform_data")
    first = TerraformResource(stack, "first", terraform_resource_type="terraform_data")
    second = TerraformResource(stack, "second", terraform_resource_type="terraform_data")
    add_depends_on(waiting, first)
    add_depends_on(waiting, first, second, first)
    with _round_trips() as counts:
        add_depends_on(waiting, second, first)  # nothing new: no round trip
    assert sum(counts.values()) == 0, counts
    rendered = synth_stack(stack)["resource"]["terraform_data"]["waiting"]["depends_on"]
    assert rendered == [address(first), address(second)] == [
        "terraform_data.first",
        "terraform_data.second",
    ]


def test_is_unresolved_reads_tokens_without_the_kernel() -> None:
    from metaflow_blueprints.runtime import TerraformVariable, Token, is_unresolved

    stack = TerraformStack(App(), "tokens")
    text = TerraformVariable(stack, "text", type="string").string_value
    number = TerraformVariable(stack, "number", type="number").number_value
    items = TerraformVariable(stack, "items", type="list(string)").list_value
    values: list[object] = [text, f"a-{text}", number, items, "${var.x}", "plain", 3, ["a"]]
    with _round_trips() as counts:
        ours = [is_unresolved(v) for v in values]
    assert sum(counts.values()) == 0, counts
    assert ours == [bool(Token.is_unresolved(v)) for v in values]
    assert ours == [True, True, True, True, False, False, False, False]
