/**
 * `durable-devkit start` and forwarded ports, in a child process: it takes the run's key from the environment (as the
 * extension passes it), prints the keyed address next to the Dashboard line the extension reads, and refuses a weak key.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { KITCHEN_SINK } from "./harness";
import { BIN } from "./cli-runner";
import { request } from "../http/http-client";

const KEY = "key-the-extension-made_0123456789";

describe("durable-devkit start behind a forwarded port", function () {
  it("uses the key it is given, prints the keyed address, and leaves the Dashboard line as the extension reads it", async () => {
    const child = spawn(process.execPath, [BIN, "start", "--app", KITCHEN_SINK, "--store", "memory", "--port", "0"], {
      env: { ...process.env, DURABLE_DEVKIT_FORWARDING_KEY: KEY },
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      let output = "";
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          // Ready once the Dashboard line is out: on a loaded machine a "Still loading the app" warning (which also
          // ends in "Press Ctrl+C to stop.") can come first.
          if (/Dashboard:[^\n]*\n[\s\S]*Press Ctrl\+C to stop\./.test(output)) resolve();
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.once("exit", (code) => reject(new Error(`start exited (code ${code}) before it was ready:\n${output}`)));
      });
      // The pattern extension/emulator-process.ts waits for.
      const dashboard = /Dashboard:\s+(http:\/\/127\.0\.0\.1:(\d+))\/_durable\//.exec(output);
      assert.ok(dashboard, output);
      const port = dashboard[2];
      assert.match(
        output,
        new RegExp(`\\n  through a forwarded port \\(code-server, Codespaces, a tunnel, SSH\\): <port ${port}'s forwarded address>/_durable/\\?key=${KEY}\\n`),
      );
      const exchanged = await request(`${dashboard[1]}/_durable/?key=${KEY}`, { headers: { Host: "127.0.0.1:8123" } });
      assert.equal(exchanged.status, 303);
      assert.match(String(exchanged.headers["set-cookie"]), new RegExp(`^durable_devkit_key_${port}=${KEY};`));
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });

  it("refuses a key too short to guess at, saying what a key must be", () => {
    const result = spawnSync(process.execPath, [BIN, "start", "--app", KITCHEN_SINK, "--store", "memory", "--port", "0"], {
      env: { ...process.env, DURABLE_DEVKIT_FORWARDING_KEY: "letmein" },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /DURABLE_DEVKIT_FORWARDING_KEY must be at least 22 characters long \(128 bits or more\), not 7\. Unset it/);
  });
});
