/** The sample input each scaffolded pattern suggests for its orchestrator (what the debugger first offers). */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { PATTERNS, scaffold } from "../../templates/scaffold";
import { sampleInputText } from "../../templates/sample-input";
import { tempDir } from "../emulator/harness";

describe("sample inputs of the patterns", () => {
  it("reads each generated file's `durable-devkit run <orchestrator> --input` as JSON, under the name the user gave", () => {
    const dir = tempDir("dd-samples-");
    const samples: Record<string, unknown> = {};
    for (const pattern of PATTERNS) {
      const { name, files } = scaffold({
        pattern: pattern.id,
        language: "js",
        dir,
        name: `my${pattern.defaultName[0].toUpperCase()}${pattern.defaultName.slice(1)}`,
      });
      const source = fs.readFileSync(path.join(dir, files[0]), "utf8");
      const orchestrator = pattern.id === "aggregator" ? `${name}_report` : name;
      const text = sampleInputText(source, orchestrator);
      samples[pattern.id] = text === undefined ? undefined : JSON.parse(text);
      assert.equal(sampleInputText(source, pattern.defaultName), undefined, `${pattern.id}: no sample under the template's default name`);
    }
    assert.deepEqual(samples, {
      "function-chaining": undefined,
      "fan-out-fan-in": ["a", "bb", "ccc"],
      "async-http-api": { reportName: "sales" },
      "human-interaction": { request: "buy a laptop", timeoutHours: 72 },
      aggregator: { key: "room1", values: [1, 2, 3] },
      "external-events": "order-42",
    });
  });

  it("skips a suggestion that is not JSON", () => {
    assert.equal(sampleInputText("durable-devkit run x --input 'Tokyo'\ndurable-devkit run x --input '\"Tokyo\"'", "x"), '"Tokyo"');
    assert.equal(sampleInputText("durable-devkit run x --input '{oops'", "x"), undefined);
  });
});
