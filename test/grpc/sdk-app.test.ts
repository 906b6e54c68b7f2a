/** Which folders `start` takes for a Durable Task SDK app (gRPC on without --grpc): by the file each build names the SDK in. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { durableTaskSdkOf } from "../../emulator/grpc/sdk-app";
import { tempDir } from "../emulator/harness";

function folder(files: Record<string, string>): string {
  const dir = tempDir("dd-sdk-detect-");
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("telling a Durable Task SDK app's folder", () => {
  it("names the SDK from package.json, requirements.txt, pyproject.toml, a .csproj, pom.xml or build.gradle", () => {
    assert.equal(
      durableTaskSdkOf(folder({ "package.json": JSON.stringify({ dependencies: { "@microsoft/durabletask-js": "^0.4.0" } }) })),
      "@microsoft/durabletask-js",
    );
    assert.equal(
      durableTaskSdkOf(folder({ "package.json": JSON.stringify({ devDependencies: { "@dapr/durabletask-js": "1.0.0" } }) })),
      "@dapr/durabletask-js",
    );
    assert.equal(durableTaskSdkOf(folder({ "requirements.txt": "requests\ndurabletask==0.2.1\n" })), "durabletask (Python)");
    assert.equal(durableTaskSdkOf(folder({ "pyproject.toml": '[project]\ndependencies = [\n  "durabletask-azuremanaged",\n]\n' })), "durabletask (Python)");
    assert.equal(
      durableTaskSdkOf(
        folder({
          "Orders.csproj": '<Project><ItemGroup><PackageReference Include="Microsoft.DurableTask.Worker.Grpc" Version="1.5.0" /></ItemGroup></Project>',
        }),
      ),
      "Microsoft.DurableTask (.NET)",
    );
    assert.equal(durableTaskSdkOf(folder({ "build.gradle": "implementation 'com.microsoft:durabletask-client:1.5.0'" })), "durabletask-client (Java)");
  });

  it("names none for a plain Node app, a broken package.json or an empty folder", () => {
    assert.equal(durableTaskSdkOf(folder({ "package.json": JSON.stringify({ dependencies: { express: "4" } }) })), undefined);
    assert.equal(durableTaskSdkOf(folder({ "package.json": "{ not json" })), undefined);
    assert.equal(durableTaskSdkOf(folder({})), undefined);
    assert.equal(durableTaskSdkOf(path.join(folder({}), "missing")), undefined);
  });
});
