import { type Command } from "../command";
import { EXIT, UsageError } from "../cli-error";

export const lspCommand: Command = {
  name: "lsp",
  summary: "start the language server (LSP over stdio) for editors",
  help: `Usage: durable-devkit lsp --stdio

Speaks the Language Server Protocol on standard input and output: diagnostics for nondeterministic code in
orchestrators as documents change, with quick fixes. Editors start it; the VS Code extension does so for you.`,
  async run(args, io) {
    if (args.includes("--help") || args.includes("-h")) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    if (!args.includes("--stdio")) throw new UsageError("The language server talks over standard input and output: durable-devkit lsp --stdio");
    const { startLanguageServer } = require("../../language-server/server") as typeof import("../../language-server/server");
    const connection = startLanguageServer();
    await new Promise<void>((resolve) => connection.onExit(() => resolve()));
    return EXIT.ok;
  },
};
