#!/usr/bin/env node
"use strict";
// The CLI is compiled into dist/ by `npm run build`; this launcher only points at it.
try {
  require("../dist/cli/main.js").main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && /dist[\\/]cli[\\/]main/.test(String(error.message))) {
    console.error("durable-devkit is not built yet. Run `npm run build` in the durable-devkit folder first.");
    process.exitCode = 2;
  } else {
    throw error;
  }
}
