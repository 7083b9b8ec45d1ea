"use strict";
// Preloaded into the jsii kernel's Node.js by metaflow_blueprints.lazy_providers
// (NODE_OPTIONS=--require). A prebuilt provider package's lib/index.js (cdktf or cdktn)
// requires every one of its ~2,000 resource modules when the kernel loads the assembly.
// This rewrites, at compile time, each generated export line
//   exports.sqsQueue = require("./sqs-queue");                      (cdktf)
//   exports.sqsQueue = __importStar(require("./sqs-queue/index"));  (cdktn)
// into a getter that requires the module on first access and then caches it as a plain
// property. The kernel finds a type by walking the exports (`exports.sqsQueue.SqsQueue`), so
// only the modules a program uses are loaded. Line numbers are unchanged (source maps hold);
// any other file or line is compiled as it is.
const Module = require("module");

// node_modules/@cdktf/provider-aws/lib/index.js, node_modules/@cdktn/provider-aws/lib/index.js
const PROVIDER_INDEX = /[\\/]node_modules[\\/]@[^\\/]+[\\/]provider-[^\\/]+[\\/]lib[\\/]index\.js$/;
const EXPORT_LINE =
  /^exports\.([A-Za-z_$][\w$]*) = (?:(__importStar)\(require\(("\.\/[^"]+")\)\)|require\(("\.\/[^"]+")\));\r?$/;

function lazify(source) {
  let rewritten = 0;
  const lines = source.split("\n").map((line) => {
    const match = EXPORT_LINE.exec(line);
    if (match === null) {
      return line;
    }
    rewritten += 1;
    const [, name, wrap, wrappedPath, plainPath] = match;
    const load = wrap ? `${wrap}(require(${wrappedPath}))` : `require(${plainPath})`;
    return (
      `Object.defineProperty(exports, "${name}", { configurable: true, enumerable: true, ` +
      `get() { const value = ${load}; Object.defineProperty(exports, "${name}", ` +
      `{ value, configurable: true, enumerable: true, writable: true }); return value; } });`
    );
  });
  return rewritten === 0 ? source : lines.join("\n");
}

const compile = Module.prototype._compile;
Module.prototype._compile = function compileLazyProviderIndex(content, filename, ...rest) {
  const source = PROVIDER_INDEX.test(filename) ? lazify(content) : content;
  return compile.call(this, source, filename, ...rest);
};

module.exports = { lazify, PROVIDER_INDEX };
