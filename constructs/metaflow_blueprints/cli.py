"""metaflow-blueprints: Terraform modules, plain manifests, event-path graphs (and replay).

Exit codes: 0 success; 1 failure (export error, missing tool); 2 bad input (unknown
blueprint, missing stack directory, unresolved references, bad option). Errors go to stderr
as one message; --debug shows the traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

app = typer.Typer(
    name="metaflow-blueprints",
    help=__doc__,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_state = {"debug": False}


class BadInput(Exception):
    """User error: exit 2."""


def _fail(err: BaseException) -> typer.Exit:
    if _state["debug"]:
        raise err
    message = err.args[0] if isinstance(err, KeyError) and err.args else err
    typer.echo(f"error: {message}", err=True)
    bad = isinstance(err, (BadInput, KeyError, ValueError, FileNotFoundError))
    return typer.Exit(EXIT_BAD_INPUT if bad else EXIT_FAILURE)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """Generate Terraform modules, HCL, manifests and graphs from the blueprints."""
    _state["debug"] = debug


Format = Annotated[str, typer.Option("--format", help="hcl (main.tf) or json (main.tf.json).")]


def _check_format(fmt: str) -> None:
    if fmt not in ("hcl", "json"):
        raise BadInput(f"--format must be 'hcl' or 'json', not {fmt!r}")


@app.command("module")
def module_command(
    blueprint: Annotated[str, typer.Argument(help="Blueprint name (see `modules --list`).")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the module to.")],
    fmt: Format = "hcl",
) -> None:
    """Write one blueprint as a self-contained Terraform module (no providers, no backend)."""
    from metaflow_blueprints.export import module, registry

    try:
        _check_format(fmt)
        spec = registry.get(blueprint)
        for path in module.write([module.build(spec)], out, fmt=fmt):
            typer.echo(str(path))
    except Exception as err:
        raise _fail(err) from None


@app.command("modules")
def modules_command(
    out: Annotated[Path, typer.Option("--out", help="Directory; each module goes to OUT/<name>/.")]
    = Path("modules"),
    fmt: Format = "hcl",
    list_only: Annotated[bool, typer.Option("--list", help="Only list blueprint names.")] = False,
) -> None:
    """Write every blueprint's module to OUT/<blueprint>/ with a README.md each."""
    from metaflow_blueprints.export import module, registry

    try:
        if list_only:
            typer.echo("\n".join(registry.names()))
            return
        _check_format(fmt)
        built = [module.build(registry.get(name)) for name in registry.names()]
        for path in module.write(built, out, fmt=fmt, nested=True):
            typer.echo(str(path))
    except Exception as err:
        raise _fail(err) from None


@app.command("manifests")
def manifests_command(
    stack_dir: Annotated[Path, typer.Argument(help="Synthesized stack dir (cdktf.out/stacks/X).")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the YAML files.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="NAME=VALUE for a reference ${NAME}; repeatable."),
    ] = None,
    allow_unresolved: Annotated[
        bool, typer.Option("--allow-unresolved", help="Keep ${...} references in the YAML.")
    ] = False,
) -> None:
    """Write the stack's Kubernetes objects as YAML (one file per object) for GitOps."""
    from metaflow_blueprints.export import manifests, stackdir

    try:
        doc = stackdir.load_stack(stack_dir)
        export = manifests.collect(doc, manifests.parse_sets(set_ or []))
        for path in manifests.write(export, out, allow_unresolved=allow_unresolved):
            typer.echo(str(path))
        for address in export.skipped:
            typer.echo(f"skipped (no plain-manifest form): {address}", err=True)
        for where, expr in export.unresolved:
            typer.echo(f"warning: unresolved ${{{expr}}} kept in {where}", err=True)
    except Exception as err:
        raise _fail(err) from None


@app.command("graph")
def graph_command(
    stack_dir: Annotated[Path, typer.Argument(help="Synthesized stack dir (cdktf.out/stacks/X).")],
    flows: Annotated[
        Path | None, typer.Option("--flows", help="Directory of flows to scan for @trigger.")
    ] = None,
) -> None:
    """Print a Mermaid flowchart: source -> plumbing -> EventSource -> Sensor -> event -> flows."""
    from metaflow_blueprints.export import graph, stackdir

    try:
        if flows is not None and not flows.is_dir():
            raise BadInput(f"--flows {flows}: not a directory")
        doc = stackdir.load_stack(stack_dir)
        typer.echo(graph.mermaid(doc, graph.find_flows(flows) if flows else None), nl=False)
    except Exception as err:
        raise _fail(err) from None


@app.command("repost")
def repost_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Dead-letter ConfigMaps (JSON/YAML files); none or '-': stdin."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Metaflow's webhook URL (default: each letter's annotation)."),
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", help="'Name: value'; repeatable.")
    ] = None,
    auth_env: Annotated[
        str | None,
        typer.Option("--auth-env", help="Env var holding the Authorization header value."),
    ] = None,
    print_curl: Annotated[
        bool, typer.Option("--print-curl", help="Print curl commands instead of posting.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 10.0,
) -> None:
    """POST dead-lettered Metaflow events again (same event, same id).

    kubectl get cm -n NS -l metaflow-blueprints/dead-letter=true -o json |
    metaflow-blueprints repost --url http://localhost:12000/metaflow-event
    """
    import os

    from metaflow_blueprints.metaflow import deadletters

    try:
        headers = _headers(header or [])
        if auth_env is not None:
            if not os.environ.get(auth_env):
                raise BadInput(f"--auth-env {auth_env}: the variable is unset or empty")
            headers["Authorization"] = os.environ[auth_env]
        letters = []
        for path in files or [Path("-")]:
            text = sys.stdin.read() if str(path) == "-" else path.read_text()
            letters.extend(deadletters.load(text))
        failed = 0
        for letter in letters:
            target = url or letter.webhook_url
            if not target:
                raise BadInput(f"{letter.name}: no webhook URL annotation; pass --url")
            if print_curl:
                typer.echo(deadletters.curl_command(letter, target, headers))
                continue
            status = deadletters.post(letter, target, headers, timeout)
            if status == 200:
                typer.echo(f"reposted {letter.name} (id {letter.event['payload']['id']}); "
                           f"remove it: {letter.delete_command()}")
            else:
                failed += 1
                typer.echo(f"error: {letter.name}: webhook answered {status or 'nothing'}",
                           err=True)
        if failed:
            raise typer.Exit(EXIT_FAILURE)
    except typer.Exit:
        raise
    except Exception as err:
        raise _fail(err) from None


def _headers(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            raise BadInput(f"--header {value!r}: expected 'Name: value'")
        out[name.strip()] = rest.strip()
    return out


def _register_replay() -> None:
    try:
        from metaflow_blueprints.replay.cli import replay_command
    except ImportError:  # the replay tool is optional until it lands
        return
    app.command("replay")(replay_command)


_register_replay()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)


if __name__ == "__main__":
    main()
