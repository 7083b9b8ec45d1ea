"""Record what Go's ``text/template`` + sprig print for each case (dev time; output is test data).

Argo Events runs a trigger parameter's ``dataTemplate``/``contextTemplate`` and a data
filter's ``template`` as ``template.New("param").Funcs(sprig.FuncMap()).Parse(t)`` executed
with ``map[string]interface{}{"Input": value}``, where ``value`` is the gjson result decoded
into Go values (numbers float64, objects ``map[string]interface{}``): see
argo-events ``pkg/sensors/triggers/params.go`` (``getValueWithTemplate``) and
``pkg/sensors/filter.go``. Its go.mod pins ``github.com/Masterminds/sprig/v3 v3.2.3``.

The program below does exactly that for every case in :data:`CASES`, with the Go toolchain
and sprig 3.2.3 from Debian (``apt-get install golang-go
golang-github-masterminds-sprig-dev``; GOPATH mode, nothing downloaded)::

    python tests/derive_go_template_cases.py > tests/data/go_template_cases.json

``tests/replay/test_gotemplate.py`` replays the recorded outputs against
``metaflow_blueprints.replay.gotemplate``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

#: (template, input as JSON text). Inputs are what Argo hands the template as ``.Input``.
CASES: list[tuple[str, str]] = [
    # text, printing of every JSON kind (fmt %v of Go values)
    ("plain text", "null"),
    ("{{ .Input }}", '"hello"'),
    ("{{ .Input }}", "1"),
    ("{{ .Input }}", "1.5"),
    ("{{ .Input }}", "1234567"),
    ("{{ .Input }}", "100000000"),
    ("{{ .Input }}", "1e21"),
    ("{{ .Input }}", "0.0001"),
    ("{{ .Input }}", "0.00001"),
    ("{{ .Input }}", "-0.5"),
    ("{{ .Input }}", "true"),
    ("{{ .Input }}", "null"),
    ("{{ .Input }}", '{"b": 2, "a": "x", "c": [1, "y"], "d": null}'),
    ("{{ .Input }}", '[1, "a", true, null, {"k": 1}]'),
    # fields, missing keys, nil chains
    ("{{ .Input.a }}", '{"a": "x"}'),
    ("{{ .Input.a.b.c }}", '{"a": {"b": {"c": 7}}}'),
    ("{{ .Input.missing }}", '{"a": "x"}'),
    ("{{ .Input.missing.deeper }}", '{"a": "x"}'),
    ("{{ .Input.a.b }}", '{"a": "x"}'),
    ("{{ .Input.a.b }}", '{"a": null}'),
    ("{{ .Input.a }}", "null"),
    ("{{ if .Input.missing.deeper }}yes{{ else }}no{{ end }}", "{}"),
    ("{{ $.Input.a }}", '{"a": "x"}'),
    ("{{ . }}", '"s"'),
    # trimming and comments
    ("a  {{- .Input -}}  b", '"X"'),
    ("a\n\t {{- .Input }} \n b", '"X"'),
    ("{{/* a comment */}}x", "null"),
    ("x{{- /* trimmed comment */ -}} y", "null"),
    # literals
    ('{{ "quoted\\tstring" }}', "null"),
    ("{{ `raw\\tstring` }}", "null"),
    ("{{ 42 }}", "null"),
    ("{{ 0x1F }}", "null"),
    ("{{ 1_000 }}", "null"),
    ("{{ 2.5 }}", "null"),
    ("{{ true }}", "null"),
    ("{{ nil }}", "null"),
    ('{{ default "d" nil }}', "null"),
    ("{{ eq .Input nil }}", "null"),
    # if / else if / else, Go truthiness
    ("{{ if .Input }}yes{{ else }}no{{ end }}", '""'),
    ("{{ if .Input }}yes{{ else }}no{{ end }}", '"x"'),
    ("{{ if .Input }}yes{{ else }}no{{ end }}", "0"),
    ("{{ if .Input }}yes{{ else }}no{{ end }}", "0.1"),
    ("{{ if .Input }}yes{{ else }}no{{ end }}", "{}"),
    ("{{ if .Input }}yes{{ else }}no{{ end }}", "[]"),
    ("{{ if .Input }}yes{{ else }}no{{ end }}", "[0]"),
    ("{{ if .Input }}yes{{ else }}no{{ end }}", "false"),
    ("{{ if .Input }}yes{{ else }}no{{ end }}", "null"),
    ("{{ if .Input.missing }}yes{{ else }}no{{ end }}", "{}"),
    (
        '{{ if eq .Input "a" }}A{{ else if eq .Input "b" }}B{{ else }}other{{ end }}',
        '"b"',
    ),
    ('{{ if eq .Input "a" }}A{{ else if eq .Input "b" }}B{{ else }}other{{ end }}', '"c"'),
    ("{{ if .Input }}{{ if .Input.x }}both{{ end }}{{ end }}", '{"x": 1}'),
    # pipelines and parentheses
    ("{{ .Input | upper }}", '"abc"'),
    ("{{ .Input.body | b64dec | upper }}", '{"body": "aGVsbG8="}'),
    ('{{ (index .Input "a").b }}', '{"a": {"b": "deep"}}'),
    ("{{ (.Input).a }}", '{"a": 3}'),
    ('{{ printf "%s-%s" (upper .Input.a) (lower .Input.b) }}', '{"a": "x", "b": "Y"}'),
    # sprig: encodings and JSON
    ("{{ b64dec .Input }}", '"eyJrIjogMX0="'),
    ("{{ b64dec .Input }}", '"not base64!"'),
    ("{{ b64dec .Input }}", '"YWJj"'),
    ("{{ b64dec .Input }}", '"YWJ"'),
    ("{{ b64dec .Input }}", '"YWJjZ"'),
    ("{{ b64dec .Input }}", '"YWJjZA"'),
    ("{{ b64dec .Input }}", '"YWJjZA="'),
    ("{{ b64dec .Input }}", '"YWJjZA=="'),
    ("{{ b64dec .Input }}", '"YW=j"'),
    ("{{ b64dec .Input }}", '"YWJjZA==YWJj"'),
    ("{{ b64dec .Input }}", '"YWJj\\nZA=="'),
    ("{{ b64dec .Input }}", '"YWJjZB=="'),
    ("{{ b64dec .Input }}", '""'),
    ("{{ b64dec .Input }}", '"YWJj\\n"'),
    ("{{ b64dec .Input }}", '"YWJj\\r\\nZA=\\n="'),
    ("{{ b64enc .Input }}", '"hello"'),
    ("{{ toJson .Input }}", '{"b": 1, "a": [true, null, 1.5], "h": "<a&b>"}'),
    ("{{ toRawJson .Input }}", '{"h": "<a&b>", "n": 10}'),
    ("{{ toJson .Input }}", "1e21"),
    ("{{ toJson .Input }}", "0.0000001"),
    ("{{ toJson .Input.missing }}", "{}"),
    ("{{ sha256sum .Input }}", '"abc"'),
    # sprig: maps, kinds, defaults
    ('{{ hasKey .Input "a" }}', '{"a": null}'),
    ('{{ hasKey .Input "b" }}', '{"a": null}'),
    ('{{ get .Input "a" }}', '{"a": "x"}'),
    ('{{ get .Input "b" }}', '{"a": "x"}'),
    ("{{ kindOf .Input }}", '"s"'),
    ("{{ kindOf .Input }}", "1"),
    ("{{ kindOf .Input }}", "true"),
    ("{{ kindOf .Input }}", "{}"),
    ("{{ kindOf .Input }}", "[]"),
    ("{{ kindOf .Input }}", "null"),
    ('{{ kindIs "map" .Input }}', "{}"),
    ('{{ kindIs "string" .Input }}', "{}"),
    ('{{ default "d" .Input.missing }}', "{}"),
    ('{{ default "d" .Input.x }}', '{"x": ""}'),
    ('{{ default "d" .Input.x }}', '{"x": "v"}'),
    ('{{ .Input.x | default "d" }}', '{"x": 0}'),
    # index
    ('{{ index .Input "a" "b" }}', '{"a": {"b": 5}}'),
    ("{{ index .Input 1 }}", '["a", "b"]'),
    ("{{ index .Input 5 }}", '["a", "b"]'),
    ('{{ index .Input "missing" }}', "{}"),
    # comparisons and logic
    ('{{ eq .Input "a" }}', '"a"'),
    ('{{ eq .Input "x" "y" "a" }}', '"a"'),
    ('{{ ne .Input "a" }}', '"a"'),
    ("{{ eq .Input 1.0 }}", "1"),
    ("{{ not .Input }}", '""'),
    ("{{ and .Input.a .Input.b }}", '{"a": "x", "b": "y"}'),
    ("{{ and .Input.a .Input.b }}", '{"a": "", "b": "y"}'),
    ("{{ or .Input.a .Input.b }}", '{"a": "", "b": "y"}'),
    ("{{ or .Input.a .Input.b }}", '{"a": "", "b": ""}'),
    # printf verbs
    ('{{ printf "%s" .Input }}', '"s"'),
    ('{{ printf "%v" .Input }}', '{"a": 1}'),
    ('{{ printf "%d" .Input }}', "3"),
    ('{{ printf "%q" .Input }}', '"say \\"hi\\""'),
    ('{{ printf "100%%" }}', "null"),
    ('{{ printf "%s %s" .Input }}', '"one"'),
    # errors Argo treats as a failed template
    ('{{ fail "stop here" }}', "null"),
    ("{{ upper .Input }}", "1"),
    ("{{ .Input.a }}", '"not a map"'),
    ("{{ if .Input }}unclosed", '"x"'),
    ("{{ end }}", "null"),
    ("{{ upper }}", '"x"'),
    ("{{ upper .Input .Input }}", '"x"'),
    ('{{ "x" .Input }}', '"x"'),
]

_PROGRAM = r"""
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"text/template"

	sprig "github.com/Masterminds/sprig"
)

type result struct {
	Output *string `json:"output"`
	Error  *string `json:"error"`
}

func run(tmpl string, input string) result {
	var value interface{}
	if err := json.Unmarshal([]byte(input), &value); err != nil {
		panic(err)
	}
	tpl, err := template.New("param").Funcs(sprig.FuncMap()).Parse(tmpl)
	if err != nil {
		msg := err.Error()
		return result{Error: &msg}
	}
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, map[string]interface{}{"Input": value}); err != nil {
		msg := err.Error()
		return result{Error: &msg}
	}
	out := buf.String()
	return result{Output: &out}
}

func main() {
	var cases [][2]string
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	results := make([]result, len(cases))
	for i, c := range cases {
		results[i] = run(c[0], c[1])
	}
	json.NewEncoder(os.Stdout).Encode(results)
}
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src" / "gotemplatecases"
        src.mkdir(parents=True)
        (src / "main.go").write_text(_PROGRAM)
        env = {
            **os.environ,
            "GO111MODULE": "off",
            "GOPATH": f"/usr/share/gocode:{tmp}",
            "GOCACHE": str(Path(tmp) / "cache"),
        }
        run = subprocess.run(
            ["go", "run", "main.go"], cwd=src, env=env, input=json.dumps(CASES),
            capture_output=True, text=True, check=True,
        )
        version = subprocess.run(["go", "version"], capture_output=True, text=True, check=True)
    sprig = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "golang-github-masterminds-sprig-dev"],
        capture_output=True, text=True, check=True,
    )
    results = json.loads(run.stdout)
    out = {
        "engine": f"{version.stdout.strip()}, text/template + sprig {sprig.stdout.strip()}",
        "cases": [
            {"template": template, "input": input, **result}
            for (template, input), result in zip(CASES, results, strict=True)
        ],
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
