/**
 * The emulators of running durable debug sessions. A launch runs its instance in an emulator of its own (with the
 * debugger's time skipping and holding, which this window's emulator does not have), served on a loopback port; the
 * adapter announces it with the custom event `durableEmulator`. Their instances are listed in the Instances view
 * under the session while it runs, and every command on them (history, raise, terminate, dashboard…) talks to that
 * emulator, over the same HTTP API as this window's.
 */
import { watchEmulator } from "../../emulator/api/emulator-watch";
import * as vscode from "vscode";
import { EmulatorClient } from "../emulator-client";
import type { InstancesView } from "../views/instances-view";

/** The custom event's body (debug-adapter/durable-debug-session.ts announceEmulator). */
interface Announcement {
  origin: string;
  forwardingKey: string;
  instanceId?: string;
}

export interface DebugEmulator {
  sessionId: string;
  name: string;
  client: EmulatorClient;
  /** The instance the session launched. */
  mainInstanceId?: string;
}

export class DebugEmulators implements vscode.Disposable {
  private readonly emulators = new Map<string, DebugEmulator>();
  private readonly subscriptions: vscode.Disposable[];
  private readonly watches = new Map<string, { dispose(): void }>();

  constructor(private readonly view: InstancesView) {
    this.subscriptions = [
      vscode.debug.onDidReceiveDebugSessionCustomEvent((event) => {
        if (event.session.type !== "durable" || event.event !== "durableEmulator") return;
        const body = event.body as Partial<Announcement> | undefined;
        if (typeof body?.origin !== "string" || typeof body.forwardingKey !== "string") return;
        this.add({
          sessionId: event.session.id,
          name: event.session.name,
          client: new EmulatorClient(body.origin, body.forwardingKey),
          mainInstanceId: body.instanceId,
        });
      }),
      vscode.debug.onDidTerminateDebugSession((session) => this.remove(session.id)),
    ];
  }

  all(): DebugEmulator[] {
    return [...this.emulators.values()];
  }

  get(sessionId: string): DebugEmulator | undefined {
    return this.emulators.get(sessionId);
  }

  /** The client of the debug session's emulator; an error the user can read once the session has ended. */
  client(sessionId: string): EmulatorClient {
    const emulator = this.emulators.get(sessionId);
    if (!emulator) throw new Error("That debug session has ended, and its instances with it (they ran in the session's own emulator).");
    return emulator.client;
  }

  private add(emulator: DebugEmulator): void {
    this.emulators.set(emulator.sessionId, emulator);
    this.view.updateDebugSession({ id: emulator.sessionId, name: emulator.name }, []);
    void this.refresh();
    // The session's instances follow its emulator by push, as the window's do.
    this.watches.set(
      emulator.sessionId,
      watchEmulator(emulator.client.origin, () => void this.refresh()),
    );
  }

  private remove(sessionId: string): void {
    this.emulators.delete(sessionId);
    this.view.removeDebugSession(sessionId);
    this.watches.get(sessionId)?.dispose();
    this.watches.delete(sessionId);
  }

  /** Reads each session's instances into the view. A session whose emulator is gone is left to its terminate event. */
  async refresh(): Promise<void> {
    await Promise.all(
      this.all().map(async (emulator) => {
        try {
          const instances = await emulator.client.instances();
          if (this.emulators.get(emulator.sessionId) === emulator) this.view.updateDebugSession({ id: emulator.sessionId, name: emulator.name }, instances);
        } catch {
          // the session is ending
        }
      }),
    );
  }

  dispose(): void {
    for (const watch of this.watches.values()) watch.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
