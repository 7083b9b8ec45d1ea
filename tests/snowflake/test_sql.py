"""The generated Snowflake SQL: golden text, and identifiers that never escape their quotes.

The tokenizer is sqlglot's Snowflake dialect (an engine we did not write): it implements
Snowflake's quoting rules (``"`` doubled inside quoted identifiers; ``''`` and backslash
escapes inside string constants:
https://docs.snowflake.com/en/sql-reference/identifiers-syntax,
https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.tokens import Token, TokenType

from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.rules import SNOWFLAKE_IDENTIFIER
from metaflow_blueprints.snowflake import (
    ChangeNotifierSql,
    check_identifier,
    quote_identifier,
    quote_string,
)

#: The rule's pattern in Python's engine (RE2 checks it in the library).
_IDENTIFIER = re.compile(str(SNOWFLAKE_IDENTIFIER.pattern))
GOLDEN = Path(__file__).parent / "golden" / "orders_procedure.sql"
NAMES = {
    "database": "ANALYTICS",
    "schema": "SALES",
    "table": "ORDERS",
    "stream": "MFB_SNOWFLAKE_ORDERS_STREAM",
    "batches": "MFB_SNOWFLAKE_ORDERS_BATCHES",
    "procedure": "MFB_SNOWFLAKE_ORDERS_NOTIFY",
    "integration": "MFB_SNOWFLAKE_ORDERS_QUEUE",
}
COLUMNS = {"BATCH_ID", "WINDOW_START", "WINDOW_END", "INSERTED", "UPDATED", "DELETED",
           "MESSAGE", "NOTIFIED_AT"}


def tokens(sql: str) -> list[Token]:
    """sqlglot's tokens, with statements it keeps as raw text (``CALL ...`` is a COMMAND
    followed by one STRING holding the rest of the statement) tokenized in turn."""
    out: list[Token] = []
    raw = list(Snowflake().tokenize(sql))
    for index, token in enumerate(raw):
        if index and raw[index - 1].token_type == TokenType.COMMAND and (
            token.token_type == TokenType.STRING
        ):
            out.extend(tokens(token.text))
        else:
            out.append(token)
    return out


def shape(sql: str) -> list[TokenType]:
    return [t.token_type for t in tokens(sql)]


def test_procedure_body_matches_the_golden_text() -> None:
    sql = ChangeNotifierSql(**NAMES, range_column="UPDATED_AT")
    assert sql.procedure_body() == GOLDEN.read_text()


def test_golden_body_consumes_the_stream_in_dml_and_sends_after_commit() -> None:
    text = GOLDEN.read_text()
    # One INSERT ... SELECT ... FROM <stream> between BEGIN TRANSACTION and COMMIT (the
    # stream offset advances when that transaction commits:
    # https://docs.snowflake.com/en/user-guide/streams-intro#how-streams-work).
    begin, insert, stream, commit, send = (
        text.index("BEGIN TRANSACTION;"),
        text.index("INSERT INTO"),
        text.index('FROM "ANALYTICS"."SALES"."MFB_SNOWFLAKE_ORDERS_STREAM"'),
        text.index("COMMIT;"),
        text.index("CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION("),
    )
    assert begin < insert < stream < commit < send
    # Nothing is written (so nothing is sent) for an all-zero change.
    assert "WHERE c.inserted + c.updated + c.deleted > 0;" in text
    # Only batches not yet notified are sent, by their stored message and id.
    assert 'WHERE "NOTIFIED_AT" IS NULL' in text
    assert "SNOWFLAKE.NOTIFICATION.INTEGRATION('MFB_SNOWFLAKE_ORDERS_QUEUE')" in text
    # Updates are the INSERT half of an ISUPDATE pair; deletes exclude the update halves.
    assert "COUNT_IF(METADATA$ACTION = 'INSERT' AND METADATA$ISUPDATE) AS updated" in text
    assert "COUNT_IF(METADATA$ACTION = 'DELETE' AND NOT METADATA$ISUPDATE) AS deleted" in text


def test_golden_body_identifiers_are_exactly_the_configured_names() -> None:
    found = {t.text for t in tokens(GOLDEN.read_text()) if t.token_type == TokenType.IDENTIFIER}
    expected = {"ANALYTICS", "SALES", "ORDERS", "UPDATED_AT", *COLUMNS} | {
        NAMES[k] for k in ("stream", "batches")
    }
    # The table itself is only named in the message (a string constant).
    assert found == expected - {"ORDERS"}


def test_task_condition_and_statement() -> None:
    sql = ChangeNotifierSql(**NAMES)
    assert sql.task_when() == (
        "SYSTEM$STREAM_HAS_DATA('\"ANALYTICS\".\"SALES\".\"MFB_SNOWFLAKE_ORDERS_STREAM\"')"
    )
    assert sql.task_statement() == 'CALL "ANALYTICS"."SALES"."MFB_SNOWFLAKE_ORDERS_NOTIFY"()'
    (_, _, literal, _) = tokens(sql.task_when())
    assert literal.token_type == TokenType.STRING and literal.text == sql.stream_name
    call = [(t.token_type, t.text) for t in tokens(sql.task_statement())]
    assert call == [
        (TokenType.COMMAND, "CALL"),
        (TokenType.IDENTIFIER, "ANALYTICS"),
        (TokenType.DOT, "."),
        (TokenType.IDENTIFIER, "SALES"),
        (TokenType.DOT, "."),
        (TokenType.IDENTIFIER, "MFB_SNOWFLAKE_ORDERS_NOTIFY"),
        (TokenType.L_PAREN, "("),
        (TokenType.R_PAREN, ")"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_quoted_identifier_is_one_token_holding_the_text(text: str) -> None:
    (token,) = tokens(quote_identifier(text))
    assert (token.token_type, token.text) == (TokenType.IDENTIFIER, text)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_quoted_string_is_one_token_holding_the_text(text: str) -> None:
    (token,) = tokens(quote_string(text))
    assert (token.token_type, token.text) == (TokenType.STRING, text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_check_identifier_accepts_only_unquoted_identifier_syntax(text: str) -> None:
    try:
        assert check_identifier("table", text) == text
    except BlueprintError as error:
        assert (error.field, error.value) == ("table", text)
        assert not _IDENTIFIER.fullmatch(text)
    else:
        assert _IDENTIFIER.fullmatch(text)
        assert not set(text) & set("\"';\n\r\t -.")


NAME = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_$]{0,40}\Z")


@settings(max_examples=60, deadline=None)
@given(
    st.fixed_dictionaries({k: NAME for k in NAMES}),
    st.one_of(st.none(), NAME),
)
def test_any_accepted_names_leave_the_sql_structure_unchanged(
    names: dict[str, str], column: str | None
) -> None:
    reference = ChangeNotifierSql(**NAMES, range_column=None if column is None else "UPDATED_AT")
    sql = ChangeNotifierSql(**names, range_column=column)
    # Same token kinds in the same order: no name adds, removes or merges a token.
    assert shape(sql.procedure_body()) == shape(reference.procedure_body())
    assert shape(sql.task_when()) == shape(reference.task_when())
    assert shape(sql.task_statement()) == shape(reference.task_statement())
    # And each quoted identifier token is one of the given names or a batch-table column.
    allowed = {names[k] for k in ("database", "schema", "stream", "batches")} | COLUMNS
    statement = tokens(sql.task_statement())
    assert {t.text for t in statement if t.token_type == TokenType.IDENTIFIER} <= {
        names["database"], names["schema"], names["procedure"]
    }
    allowed |= {column} if column else set()
    body = tokens(sql.procedure_body())
    assert {t.text for t in body if t.token_type == TokenType.IDENTIFIER} <= allowed
    strings = [t.text for t in body if t.token_type == TokenType.STRING]
    assert names["table"] in strings and names["integration"] in strings


@pytest.mark.parametrize(
    "bad",
    [
        'ORDERS"; DROP TABLE X; --',
        "ORDERS'",
        "ORD;ERS",
        "ORDERS\nX",
        "my table",
        "1ORDERS",
        "DB.ORDERS",
        "",
        "A" * 256,
    ],
)
def test_injection_attempts_are_refused(bad: str) -> None:
    with pytest.raises(BlueprintError) as caught:
        ChangeNotifierSql(**{**NAMES, "table": bad})
    assert (caught.value.field, caught.value.value) == ("table", bad)


# --- a Terraform-token name: Terraform itself checks it at plan time ------------------------

HOSTILE = ['ORDERS"; DROP TABLE X; --', "it's", "back\\slash", "x\nDELETE FROM Y", "", "1A"]
GOOD = ["ORDERS", "orders", "_A$1"]


def test_terraform_refuses_a_token_name_that_could_break_the_quotes(tmp_path: Path) -> None:
    import json
    import os
    import shutil
    import subprocess

    from metaflow_blueprints.runtime import App, TerraformStack, TerraformVariable, synth_stack
    from metaflow_blueprints.snowflake.identifiers import token_precondition

    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("the Terraform CLI is not on PATH")
    stack = TerraformStack(App(), "t")
    name = TerraformVariable(stack, "name", type="string").string_value
    stack.add_override("locals.ok", token_precondition("table", name)["condition"])
    (tmp_path / "main.tf.json").write_text(json.dumps(synth_stack(stack)))
    config = tmp_path / "cli.tfrc"
    config.write_text('provider_installation {\n  direct { exclude = ["*/*"] }\n}\n')
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(config)}

    def accepted(value: str) -> bool:
        result = subprocess.run(
            [terraform, "console", "-var", f"name={value}"], input="local.ok\n",
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=True,
        )
        return result.stdout.strip().splitlines()[-1] == "true"

    for value in HOSTILE:
        assert not accepted(value), value
        assert not _IDENTIFIER.fullmatch(value)
    for value in GOOD:
        assert accepted(value), value
