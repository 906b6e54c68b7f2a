/** Entry of the bundled CLI (the extension starts `node out/cli.js start …`); bin/durable-devkit.js is the npm one. */
import { main } from "./main";

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
