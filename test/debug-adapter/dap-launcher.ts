/** `durable-devkit dap` as DebugClient runs an adapter (`runtime file`), from this repository's build. */
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../emulator/harness";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** A launcher file, so DebugClient (which spawns `runtime file`) runs `durable-devkit dap`. */
export function dapLauncher(): string {
  const file = path.join(tempDir("dd-dap-bin-"), "dap.js");
  fs.writeFileSync(file, `require(${JSON.stringify(path.join(ROOT, "dist", "cli", "main.js"))}).main(["dap"]);\n`);
  return file;
}
