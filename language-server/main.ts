/** Entry of the bundled language server the VS Code extension starts (transport from argv: --node-ipc or --stdio). */
import { startLanguageServer } from "./server";

startLanguageServer();
