/** The entry VS Code's extension host calls with --extensionTestsPath: mocha over this folder's *.ext.js files. */
import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 120_000, color: true });
  for (const file of fs.readdirSync(__dirname).filter((name) => name.endsWith(".ext.js"))) mocha.addFile(path.join(__dirname, file));
  return new Promise((resolve, reject) => {
    const failures: string[] = [];
    const runner = mocha.run((count) => (count ? reject(new Error(`${count} extension-host test(s) failed:\n${failures.join("\n")}`)) : resolve()));
    // The rejection is what a host without a visible stdout (a browser workbench) shows: name each failure in it.
    runner.on("fail", (test, error: Error) => failures.push(`- ${test.fullTitle()}: ${error.message}`));
  });
}
