/**
 * The extension inside a real VS Code extension host: activation, every contributed command, the two views and the
 * debug configuration provider, against the emulator running the workspace's scaffolded apps (see ../run-tests.ts).
 * Prompts are answered by replacing vscode.window's pickers for the duration of a test: the user's choices are the
 * only thing not real here.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { DevkitContext } from "../../../extension/devkit-context";
import { DurableConfigurationProvider } from "../../../extension/debug/debug-setup";
import type { InstanceNode } from "../../../extension/views/instances-view";

const EXTENSION_ID = "durable-devkit.durable-devkit";

type Answer = string | vscode.Uri;
const messages: string[] = [];
/** The labels of each quick pick shown, in order. */
const quickPicks: string[][] = [];
const opened: vscode.Uri[] = [];
/** What each input box showed prefilled, in order. */
const prefilled: (string | undefined)[] = [];

/**
 * Replaces the window's prompts: each quick pick or input box takes the next answer (by label for quick picks). A
 * notification offering the next of `buttons` is answered with it; others are dismissed.
 */
function answering(answers: Answer[], buttons: string[] = []): () => void {
  const window = vscode.window as unknown as Record<string, unknown>;
  const env = vscode.env as unknown as Record<string, unknown>;
  const replaced = ["showQuickPick", "showInputBox", "showSaveDialog", "showOpenDialog", "showInformationMessage", "showWarningMessage", "showErrorMessage"];
  const saved = Object.fromEntries(replaced.map((name) => [name, window[name]]));
  const savedOpenExternal = env.openExternal;
  const next = (what: string): Answer => {
    if (!answers.length) throw new Error(`The test has no answer left for ${what}`);
    return answers.shift() as Answer;
  };
  window.showQuickPick = async (items: readonly (string | vscode.QuickPickItem)[] | Thenable<readonly (string | vscode.QuickPickItem)[]>) => {
    const list = await items;
    quickPicks.push(list.map((item) => (typeof item === "string" ? item : item.label)));
    const wanted = next("a quick pick");
    const found = list.find((item) => (typeof item === "string" ? item : item.label) === wanted);
    if (!found)
      throw new Error(`No quick pick item "${String(wanted)}" among ${list.map((item) => (typeof item === "string" ? item : item.label)).join(", ")}`);
    return found;
  };
  window.showInputBox = async (options?: vscode.InputBoxOptions) => {
    prefilled.push(options?.value);
    const value = String(next(`the input box "${options?.title ?? ""}"`));
    const invalid = await options?.validateInput?.(value);
    if (invalid) throw new Error(`The input box refused "${value}": ${typeof invalid === "string" ? invalid : invalid.message}`);
    return value;
  };
  window.showSaveDialog = async () => next("a save dialog");
  window.showOpenDialog = async () => [next("an open dialog")];
  for (const kind of ["showInformationMessage", "showWarningMessage", "showErrorMessage"]) {
    window[kind] = async (message: string, ...rest: unknown[]) => {
      messages.push(message);
      // A modal confirmation (purge) is answered with its action button.
      const offered = rest.filter((item): item is string => typeof item === "string");
      if (typeof rest[0] === "object" && (rest[0] as vscode.MessageOptions).modal) return offered[0];
      return buttons.length && offered.includes(buttons[0]) ? buttons.shift() : undefined;
    };
  }
  env.openExternal = async (uri: vscode.Uri) => (opened.push(uri), true);
  return () => {
    Object.assign(window, saved);
    env.openExternal = savedOpenExternal;
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("Durable Devkit in the extension host", () => {
  let context: DevkitContext;
  const workspace = () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  let restore: (() => void) | undefined;

  before(async () => {
    const extension = vscode.extensions.getExtension<{ context: DevkitContext }>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    context = (await extension.activate()).context;
  });
  afterEach(() => {
    restore?.();
    restore = undefined;
    messages.length = 0;
    quickPicks.length = 0;
    prefilled.length = 0;
  });
  after(async () => {
    await vscode.commands.executeCommand("durableDevkit.stopEmulator");
  });

  const instanceNode = async (instanceId: string): Promise<InstanceNode> => {
    await context.refresh();
    const instance = context.instancesView.all().find((candidate) => candidate.instanceId === instanceId);
    assert.ok(instance, `instance ${instanceId} in the Instances view`);
    return { instance };
  };
  const statusOf = async (instanceId: string) => (await context.ensureEmulator()).status(instanceId).then((status) => status.runtimeStatus);

  it("activates and registers every command it contributes", async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { commands: { command: string }[] } };
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((command) => command.command).filter((command) => !registered.has(command));
    assert.deepEqual(missing, []);
    assert.ok(registered.has("durableDevkit.pickOrchestrator"));
  });

  it("Start Emulator runs the app and fills the Functions view, each function opening its source", async () => {
    await vscode.commands.executeCommand("durableDevkit.startEmulator");
    assert.equal(context.emulator.state.kind, "running");
    const groups = context.functionsView.getChildren().map((node) => context.functionsView.getTreeItem(node).label);
    assert.deepEqual(groups, ["Orchestrators", "Activities", "HTTP functions"]);
    const orchestrators = context.functionsView.getChildren(context.functionsView.getChildren()[0]).map((node) => context.functionsView.getTreeItem(node));
    assert.deepEqual(orchestrators.map((item) => item.label).sort(), ["approvalWorkflow", "failOnce", "helloSequence"]);
    const chain = orchestrators.find((item) => item.label === "helloSequence");
    assert.equal(chain?.command?.command, "vscode.open");
    assert.equal((chain?.command?.arguments?.[0] as vscode.Uri).fsPath, path.join(workspace(), "src", "functions", "helloSequence.js"));
  });

  it("Run Orchestration… validates the JSON input and follows the instance to Completed", async () => {
    restore = answering(["helloSequence", "null"]);
    await vscode.commands.executeCommand("durableDevkit.runOrchestration");
    const done = messages.find((message) => /helloSequence \S+: Completed/.test(message));
    assert.ok(done, `a completion message among ${JSON.stringify(messages)}`);
    assert.match(done, /\["Hello, Tokyo!","Hello, Seattle!","Hello, London!"\]/);
    const statuses = context.instancesView.getChildren().map((node) => context.instancesView.getTreeItem(node).label);
    assert.ok(statuses.includes("Completed (1)"), JSON.stringify(statuses));
    restore();
    restore = answering(["helloSequence", "{not json"]);
    await vscode.commands.executeCommand("durableDevkit.runOrchestration");
    assert.ok(
      messages.some((message) => /Not JSON/.test(message)),
      `the input box refuses bad JSON: ${JSON.stringify(messages)}`,
    );
  });

  it("Run Orchestration… says what a waiting instance waits for, and its Raise button asks only for the event's data", async () => {
    // No event name is asked: were it, the quick pick or input box would take the JSON answer and the run would not end.
    restore = answering(["approvalWorkflow", '{ "request": "chair", "timeoutHours": 24 }', '{ "approved": true, "by": "Bo" }'], ["Raise Approval…"]);
    const running = vscode.commands.executeCommand("durableDevkit.runOrchestration");
    const done = await until("the run to end", () => messages.find((message) => /^approvalWorkflow \S+: /.test(message)), 60_000);
    await running;
    const notice = messages.find((message) => / is waiting for /.test(message));
    assert.ok(notice, `a waiting notice among ${JSON.stringify(messages)}`);
    const [, instanceId] =
      /^approvalWorkflow (\S+) is waiting for event `Approval` or a timer at (?:\d{4}-\d\d-\d\d )?\d\d:\d\d \(local time\)$/.exec(notice) ?? [];
    assert.ok(instanceId, notice);
    assert.equal(done, `approvalWorkflow ${instanceId}: Completed → {"request":"chair","outcome":"approved by Bo"}`);
    assert.ok(messages.indexOf(notice) < messages.indexOf(done), "the notice came while it waited");
    assert.equal(quickPicks.length, 1, `only the orchestrator was picked: ${JSON.stringify(quickPicks)}`);
  });

  it("Suspend, Resume, Raise Event, Terminate, Restart and Purge act on instances from the view's context menu", async () => {
    const client = await context.ensureEmulator();
    const waiting = await client.start("approvalWorkflow", { request: "laptop", timeoutHours: 24 });
    await until("the approval to wait", async () => (await statusOf(waiting)) === "Running");
    const item = await until("the Instances view to say what it waits for", async () => {
      const candidate = context.instancesView.getTreeItem(await instanceNode(waiting));
      return /waiting for event `Approval` or a timer at /.test(String(candidate.description)) && candidate;
    });
    assert.match(String(item.tooltip), /\nwaiting for event `Approval` or a timer at .+ \(local time\)\n/);

    restore = answering(["too busy"]);
    await vscode.commands.executeCommand("durableDevkit.suspendInstance", await instanceNode(waiting));
    await until("Suspended", async () => (await statusOf(waiting)) === "Suspended");
    restore();
    restore = answering(["back"]);
    await vscode.commands.executeCommand("durableDevkit.resumeInstance", await instanceNode(waiting));
    await until("Running again", async () => (await statusOf(waiting)) === "Running");
    restore();

    // The event is picked from the ones the instance waits for, not typed into an empty box.
    restore = answering(["Approval", '{ "approved": true, "by": "Ana" }']);
    await vscode.commands.executeCommand("durableDevkit.raiseEvent", await instanceNode(waiting));
    assert.deepEqual(quickPicks, [["Approval", "Other…"]]);
    await until("the approval to complete it", async () => (await statusOf(waiting)) === "Completed");
    assert.deepEqual((await client.status(waiting)).output, { request: "laptop", outcome: "approved by Ana" });
    restore();

    const second = await client.start("approvalWorkflow", { request: "desk" });
    await until("the second approval to wait", async () => (await statusOf(second)) === "Running");
    restore = answering(["not needed"]);
    await vscode.commands.executeCommand("durableDevkit.terminateInstance", await instanceNode(second));
    await until("Terminated", async () => (await statusOf(second)) === "Terminated");
    restore();

    const before = new Set((await client.instances()).map((instance) => instance.instanceId));
    await vscode.commands.executeCommand("durableDevkit.restartInstance", await instanceNode(second));
    const restarted = await until("a restarted instance", async () => (await client.instances()).find((instance) => !before.has(instance.instanceId)));
    assert.equal(restarted.name, "approvalWorkflow");

    restore = answering([]); // the modal "Delete … and its history?" is confirmed with its Purge button
    await vscode.commands.executeCommand("durableDevkit.purgeInstance", await instanceNode(second));
    assert.ok(!(await client.instances()).some((instance) => instance.instanceId === second), "purged");
  });

  it("Rewind re-runs a failed instance", async () => {
    const client = await context.ensureEmulator();
    const failing = await client.start("failOnce", null);
    await until("the first attempt to fail", async () => (await statusOf(failing)) === "Failed");
    restore = answering(["fixed"]);
    await vscode.commands.executeCommand("durableDevkit.rewindInstance", await instanceNode(failing));
    await until("the rewound instance to complete", async () => (await statusOf(failing)) === "Completed");
  });

  it("Show History opens the timeline webview; Export History writes a file that Replay History File replays", async () => {
    const client = await context.ensureEmulator();
    const done = context.instancesView.all().find((instance) => instance.name === "helloSequence" && instance.runtimeStatus === "Completed");
    assert.ok(done);
    await vscode.commands.executeCommand("durableDevkit.showHistory", await instanceNode(done.instanceId));
    await until("the history webview's tab", () =>
      vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .some((tab) => tab.label === `History ${done.instanceId.slice(0, 8)}` && tab.input instanceof vscode.TabInputWebview),
    );

    const target = vscode.Uri.file(path.join(workspace(), "histories", "chain.json"));
    restore = answering([target]);
    await vscode.commands.executeCommand("durableDevkit.exportHistory", await instanceNode(done.instanceId));
    const exported = JSON.parse(fs.readFileSync(target.fsPath, "utf8")) as { format: string; history: unknown[] };
    assert.equal(exported.format, "durable-devkit.history/v1");
    assert.equal(exported.history.length, (await client.history(done.instanceId)).history.length);

    const started = new Promise<vscode.DebugSession>((resolve) => {
      const listener = vscode.debug.onDidStartDebugSession((session) => {
        if (session.type === "durable") {
          listener.dispose();
          resolve(session);
        }
      });
    });
    await vscode.commands.executeCommand("durableDevkit.replayHistoryFile", target);
    const session = await started;
    assert.equal(session.configuration.mode, "replay");
    const threads = (await session.customRequest("threads")) as { threads: { id: number; name: string }[] };
    assert.ok(threads.threads.length >= 1);
    await vscode.debug.stopDebugging(session);
  });

  it("the debug configuration provider offers launch, replay and attach once each, asks each orchestrator's input, and makes F5 work without a launch.json", async () => {
    // VS Code lists package.json's initialConfigurations and the provider's together: only the provider has them.
    const debuggers = (
      vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
        contributes: { debuggers: { initialConfigurations?: unknown; configurationSnippets: { body: Record<string, unknown> }[] }[] };
      }
    ).contributes.debuggers;
    assert.equal(debuggers[0].initialConfigurations, undefined);
    assert.deepEqual(
      debuggers[0].configurationSnippets.filter((snippet) => "port" in snippet.body),
      [],
      "no snippet fixes a port",
    );
    const provider = new DurableConfigurationProvider(context);
    const initial = provider.provideDebugConfigurations();
    assert.deepEqual(
      initial.map((config) => `${config.request}:${config.mode ?? "run"}`),
      ["launch:run", "launch:replay", "attach:run"],
    );
    assert.deepEqual(
      initial.filter((config) => "port" in config || "input" in config),
      [],
      "no fixed port, no fixed input",
    );

    // F5 without a launch.json: the orchestrator, then its input, prefilled with the last one Run Orchestration… used.
    restore = answering(["helloSequence", '["Tokyo"]']);
    const resolved = await provider.resolveDebugConfiguration(undefined, { type: "", request: "", name: "" });
    assert.equal(resolved?.type, "durable");
    assert.equal(resolved?.orchestrator, "helloSequence");
    assert.equal(resolved?.app, workspace());
    const substituted = await provider.resolveDebugConfigurationWithSubstitutedVariables(undefined, resolved as vscode.DebugConfiguration);
    assert.deepEqual(prefilled, ["null"]);
    assert.deepEqual(substituted?.input, ["Tokyo"]);
    assert.equal(typeof substituted?.inspectPort, "number", "an inspector port for the JavaScript debugger");
    assert.equal(substituted?.stopInReplay, false, "its breakpoints skip replays (durableDevkit.debug.stopInReplay is off)");
    restore();

    // Each orchestrator has its own: the last one typed for it (approvalWorkflow ran above with the chair; the first
    // time's sample from the pattern's header is what the code-server e2e test sees on its first run).
    prefilled.length = 0;
    restore = answering(['{"request": "a desk"}', "null"]);
    const launch = (orchestrator: string, extra: Record<string, unknown> = {}) =>
      provider.resolveDebugConfigurationWithSubstitutedVariables(undefined, {
        type: "durable",
        request: "launch",
        name: orchestrator,
        orchestrator,
        app: workspace(),
        attachJavaScriptDebugger: false,
        ...extra,
      });
    assert.deepEqual((await launch("approvalWorkflow"))?.input, { request: "a desk" });
    assert.deepEqual((await launch("helloSequence"))?.input, null);
    assert.deepEqual(prefilled, ['{ "request": "chair", "timeoutHours": 24 }', '["Tokyo"]']);
    restore();

    // An input written in launch.json (null too) is used without asking; a cancelled prompt cancels the launch.
    prefilled.length = 0;
    restore = answering([]);
    assert.deepEqual((await launch("approvalWorkflow", { input: null }))?.input, null);
    assert.deepEqual((await launch("approvalWorkflow", { input: { request: "fixed" } }))?.input, { request: "fixed" });
    assert.deepEqual(prefilled, []);
    restore();
    const window = vscode.window as unknown as Record<string, unknown>;
    const showInputBox = window.showInputBox;
    window.showInputBox = async () => undefined;
    try {
      assert.equal(await launch("approvalWorkflow"), undefined);
    } finally {
      window.showInputBox = showInputBox;
    }

    const state = context.emulator.state;
    assert.equal(state.kind, "running");
    const attach = await provider.resolveDebugConfiguration(undefined, { type: "durable", request: "attach", name: "Attach" });
    assert.equal(attach?.port, state.kind === "running" ? state.port : -1, "attach without a port goes to this window's emulator");
    await vscode.commands.executeCommand("durableDevkit.stopEmulator");
    const started = await provider.resolveDebugConfiguration(undefined, { type: "durable", request: "attach", name: "Attach" });
    const restarted = context.emulator.state;
    assert.equal(restarted.kind, "running", "attach starts this window's emulator when none runs");
    assert.equal(started?.port, restarted.kind === "running" ? restarted.port : -1);
  });

  it("a debug run's instance shows under its session in the Instances view; history, dashboard and raise go to the session's emulator", async () => {
    // What the adapter prints, read as VS Code receives it.
    const printed: string[] = [];
    const tracker = vscode.debug.registerDebugAdapterTrackerFactory("durable", {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (message: { type?: string; event?: string; body?: { output?: string } }) => {
          if (message.type === "event" && message.event === "output" && message.body?.output) printed.push(message.body.output);
        },
      }),
    });
    const started = new Promise<vscode.DebugSession>((resolve) => {
      const listener = vscode.debug.onDidStartDebugSession((session) => session.type === "durable" && (listener.dispose(), resolve(session)));
    });
    const ended = new Promise<void>((resolve) => {
      const listener = vscode.debug.onDidTerminateDebugSession((session) => session.type === "durable" && (listener.dispose(), resolve()));
    });
    try {
      const launched = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
        type: "durable",
        request: "launch",
        name: "Durable: approval under debug",
        orchestrator: "approvalWorkflow",
        input: { request: "a lamp", timeoutHours: 72 },
        attachJavaScriptDebugger: false,
      });
      assert.ok(launched, "the debug session started");
      const session = await started;
      const group = await until("the debug session's group in the Instances view", () =>
        context.instancesView.getChildren().find((node) => "debugSession" in node && node.debugSession.id === session.id && node.count === 1),
      );
      const groupItem = context.instancesView.getTreeItem(group);
      assert.equal(groupItem.label, "Debug session: Durable: approval under debug");
      assert.equal(groupItem.contextValue, "durableDebugSession");
      // Time is held at the 72-hour timer, so it waits for the approval as the window's runs do.
      const node = await until("the session's instance waiting for Approval", () => {
        const [child] = context.instancesView.getChildren(group);
        return (
          child && /^Running · \S+ · waiting for event `Approval` or a timer at /.test(String(context.instancesView.getTreeItem(child).description)) && child
        );
      });
      assert.ok("instance" in node && node.debugSessionId === session.id);
      const instanceId = node.instance.instanceId;
      assert.equal(node.instance.name, "approvalWorkflow");
      const windowEmulator = context.emulator.state;
      assert.equal(windowEmulator.kind, "running");
      if (windowEmulator.kind === "running")
        assert.ok(!(await windowEmulator.client.instances()).some((instance) => instance.instanceId === instanceId), "not in the window's emulator");

      // Its history opens from the session's emulator (the window's has no such instance).
      await vscode.commands.executeCommand("durableDevkit.showHistory", node);
      await until("the debug instance's history webview", () =>
        vscode.window.tabGroups.all
          .flatMap((tabs) => tabs.tabs)
          .some((tab) => tab.label === `History ${instanceId.slice(0, 8)}` && tab.input instanceof vscode.TabInputWebview),
      );
      assert.deepEqual(messages, [], "no error");

      // The group's dashboard is the session's emulator's, opened on its instance; the palette asks whose.
      restore = answering([`Debug session: ${session.name}`]);
      const sessionOrigin = context.debugEmulators.get(session.id)?.client.origin ?? "";
      const sessionPort = new URL(sessionOrigin).port;
      assert.notEqual(sessionPort, windowEmulator.kind === "running" ? String(windowEmulator.port) : "");
      await vscode.commands.executeCommand("durableDevkit.openDashboard", group);
      const address = opened.at(-1)?.toString(true) ?? "";
      assert.match(address, new RegExp(`^https?://[^/]+(:${sessionPort}|/proxy/${sessionPort})/_durable/(\\?key=[\\w-]+)?#${instanceId}$`));
      let page = await fetch(address, { redirect: "manual" });
      if (page.status === 303) {
        const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0];
        page = await fetch(new URL(page.headers.get("location") ?? "", address), { headers: { cookie } });
      }
      assert.equal(page.status, 200);
      await vscode.commands.executeCommand("durableDevkit.openDashboard");
      assert.deepEqual(quickPicks.at(-1), [`Debug session: ${session.name}`, "This window's emulator"]);
      assert.equal(opened.at(-1)?.toString(true), address);
      restore();

      // Raised from the view, to the session's instance: the debugger follows it to the end, and the session ends.
      restore = answering(["Approval", '{ "approved": true, "by": "Eve" }']);
      await vscode.commands.executeCommand("durableDevkit.raiseEvent", node);
      assert.deepEqual(quickPicks.at(-1), ["Approval", "Other…"]);
      await ended;
      const output = printed.join("");
      assert.match(output, /Dashboard of this session's instances: http:\/\/127\.0\.0\.1:\d+\/_durable\//);
      assert.match(output, /time held: approvalWorkflow waits for event `Approval`/);
      assert.match(output, /approvalWorkflow \S+: end of the history \(Completed\)/);
      await until("the session's group to go", () => !context.instancesView.getChildren().some((candidate) => "debugSession" in candidate));
    } finally {
      tracker.dispose();
      if (vscode.debug.activeDebugSession?.type === "durable") await vscode.debug.stopDebugging(vscode.debug.activeDebugSession);
    }
  });

  /**
   * F5 on helloSequence with a breakpoint on its loop line, as a person debugs it: each time js-debug pauses there the
   * test reads `city` and `context.df.isReplaying` in the paused frame and continues; the replay debugger's own stops
   * (the line makes a durable call) are continued too, until it reaches the end of the history.
   */
  async function javaScriptStopsOnLoopLine(): Promise<{ line: number; city: string; isReplaying: string }[]> {
    const file = path.join(workspace(), "src", "functions", "helloSequence.js");
    const line = fs
      .readFileSync(file, "utf8")
      .split("\n")
      .findIndex((text) => text.includes("outputs.push(yield"));
    assert.ok(line >= 0, "the template's loop line");
    const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(file), new vscode.Position(line, 0)));
    const stops: { line: number; city: string; isReplaying: string }[] = [];
    const handling: Promise<unknown>[] = [];
    const value = (result: { result: string }) => result.result.replace(/^'(.*)'$/, "$1");
    const onStopped = (session: vscode.DebugSession, handle: (threadId: number) => Promise<unknown>) => ({
      onDidSendMessage: (message: { type: string; event?: string; body?: { threadId?: number } }) => {
        if (message.type === "event" && message.event === "stopped" && message.body?.threadId !== undefined) {
          const threadId = message.body.threadId;
          handling.push(
            handle(threadId)
              .catch((error: unknown) => stops.push({ line: -1, city: String(error), isReplaying: "" }))
              .then(() => session.customRequest("continue", { threadId })),
          );
        }
      },
    });
    const trackers = vscode.Disposable.from(
      vscode.debug.registerDebugAdapterTrackerFactory("pwa-node", {
        createDebugAdapterTracker: (session) =>
          onStopped(session, async (threadId) => {
            const [frame] = (
              (await session.customRequest("stackTrace", { threadId, startFrame: 0, levels: 1 })) as { stackFrames: { id: number; line: number }[] }
            ).stackFrames;
            const evaluate = (expression: string) =>
              session.customRequest("evaluate", { expression, frameId: frame.id, context: "repl" }) as Thenable<{ result: string }>;
            stops.push({ line: frame.line, city: value(await evaluate("city")), isReplaying: value(await evaluate("String(context.df.isReplaying)")) });
          }),
      }),
      vscode.debug.registerDebugAdapterTrackerFactory("durable", { createDebugAdapterTracker: (session) => onStopped(session, async () => undefined) }),
    );
    vscode.debug.addBreakpoints([breakpoint]);
    try {
      let durable: vscode.DebugSession | undefined;
      const ended = new Promise<void>((resolve) => {
        const listener = vscode.debug.onDidTerminateDebugSession((session) => session === durable && (listener.dispose(), resolve()));
      });
      const starting = new Promise<vscode.DebugSession>((resolve) => {
        const listener = vscode.debug.onDidStartDebugSession((session) => session.type === "durable" && (listener.dispose(), resolve(session)));
      });
      const config = {
        type: "durable",
        request: "launch",
        name: "Durable: helloSequence (breakpoints)",
        orchestrator: "helloSequence",
        input: null,
        stopOnEntry: false,
      };
      assert.ok(await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], config), "the durable session started");
      durable = await starting;
      await Promise.race([
        ended,
        new Promise((_resolve, reject) =>
          setTimeout(() => reject(new Error(`the session did not reach the end of the history; JavaScript stops so far: ${JSON.stringify(stops)}`)), 90_000),
        ),
      ]);
      await Promise.all(handling);
      for (const stop of stops) assert.equal(stop.line, line + 1, `a stop on the breakpoint's line: ${JSON.stringify(stop)}`);
      return stops;
    } finally {
      vscode.debug.removeBreakpoints([breakpoint]);
      trackers.dispose();
    }
  }

  it("a JavaScript breakpoint in an orchestrator stops where its code runs for the first time: once per call, not in every replay; durableDevkit.debug.stopInReplay stops in replays too", async () => {
    // By default: three stops, one per activity call, each where the line runs for the first time.
    const first = await javaScriptStopsOnLoopLine();
    assert.deepEqual(
      first.map((stop) => [stop.city, stop.isReplaying]),
      [
        ["Tokyo", "false"],
        ["Seattle", "false"],
        ["London", "false"],
      ],
    );
    const settings = vscode.workspace.getConfiguration("durableDevkit");
    await settings.update("debug.stopInReplay", true, vscode.ConfigurationTarget.Workspace);
    try {
      // Every episode re-runs the loop from Tokyo (1 + 2 + 3 + 3 stops), and the replay debugger's traces again.
      const every = await javaScriptStopsOnLoopLine();
      assert.ok(every.length >= 9, `stops in replays too: ${JSON.stringify(every)}`);
      assert.ok(every.filter((stop) => stop.isReplaying === "true").length >= 6, `replays among them: ${JSON.stringify(every)}`);
      assert.deepEqual([every[0].city, every[0].isReplaying], ["Tokyo", "false"], "the first episode's call");
      for (const city of ["Tokyo", "Seattle", "London"])
        assert.ok(
          every.some((stop) => stop.city === city && stop.isReplaying === "true"),
          `${city} replayed: ${JSON.stringify(every)}`,
        );
      console.log(
        `[measured] js-debug stops on the loop line: ${first.length} by default, ${every.length} with durableDevkit.debug.stopInReplay (${every.filter((stop) => stop.isReplaying === "true").length} of them in replays)`,
      );
    } finally {
      await settings.update("debug.stopInReplay", undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it("New Orchestration from Pattern… writes the pattern in the app's language, opens it, and the emulator reloads", async () => {
    restore = answering(["Fan-out/fan-in", "resizeImages"]);
    await vscode.commands.executeCommand("durableDevkit.newFromPattern");
    const file = path.join(workspace(), "src", "functions", "resizeImages.js");
    assert.ok(fs.existsSync(file), "the JavaScript app got a JavaScript orchestrator");
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file);
    // The running emulator watches the app: the new orchestrator appears without a restart.
    await until(
      "resizeImages in the Functions view",
      async () => (await context.refresh(), context.functionsView.orchestrators.includes("resizeImages")),
      30_000,
    );
  });

  it("New Orchestration from Pattern… → Help me choose walks the questions to a pattern", async () => {
    // No, no, yes: "Must it wait for several outside events, in any order?" leads to external events.
    restore = answering(["$(question) Help me choose…", "No", "No", "Yes", "orderCallbacks"]);
    await vscode.commands.executeCommand("durableDevkit.newFromPattern");
    const file = path.join(workspace(), "src", "functions", "orderCallbacks.js");
    assert.match(fs.readFileSync(file, "utf8"), /waitForExternalEvent/);
  });

  it("Open Dashboard opens the emulator's dashboard, through whatever forwards its port; Stop Emulator stops it", async () => {
    restore = answering([]);
    await vscode.commands.executeCommand("durableDevkit.openDashboard");
    // Desktop VS Code opens the emulator's own address; code-server (or a remote) its forwarded one, with the key.
    const address = opened.at(-1)?.toString(true) ?? "";
    assert.match(address, /^https?:\/\/[^/]+\/(proxy\/\d+\/)?_durable\/(\?key=[\w-]+)?$/);
    // What a browser does there: the key (if any) for a cookie on a redirect, then the page.
    let page = await fetch(address, { redirect: "manual" });
    if (page.status === 303) {
      const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0];
      page = await fetch(new URL(page.headers.get("location") ?? "", address), { headers: { cookie } });
    }
    assert.equal(page.status, 200, await page.clone().text());
    assert.match(await page.text(), /<title>Durable Devkit<\/title>/);
    await vscode.commands.executeCommand("durableDevkit.stopEmulator");
    assert.equal(context.emulator.state.kind, "stopped");
  });
});
