#!/usr/bin/env node
// Format HCL with @cdktf/hcl-tools (hclwrite's Format, the code behind `terraform fmt`,
// compiled to WebAssembly). Protocol: a JSON array of HCL texts on stdin, a JSON array of
// formatted texts on stdout; hclwrite formats
// tokens, so it does not reject invalid HCL (parse the result to check it).
"use strict";
const { format } = require("@cdktf/hcl-tools");

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const texts = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const out = [];
  for (const text of texts) out.push(await format(text));
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(`hcl format failed: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
