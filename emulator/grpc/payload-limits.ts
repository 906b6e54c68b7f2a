/**
 * Payloads the Durable Task Scheduler would refuse. Locally any size works (the sidecar takes messages up to 256 MiB),
 * so an app that passes large data between durable operations runs here and fails in Azure: the emulator says so,
 * once per instance and kind of payload, when one crosses the limit.
 */
import { pb, textOf } from "./protocol";

/**
 * DTS's message size limit, about 1 MB: durabletask-dotnet's LargePayloadStorageOptions externalizes payloads above
 * 900,000 bytes "to leave headroom below 1MB" (ExternalizeThresholdBytes).
 */
export const DTS_MESSAGE_LIMIT_BYTES = 1_000_000;

const Action = pb.OrchestratorAction.OrchestratoractiontypeCase;

export class PayloadLimits {
  private readonly warned = new Set<string>();

  constructor(private readonly warn: (message: string, instanceId?: string) => void) {}

  /** Warns when `text` (a payload of `what`, for `instanceId`) is larger than DTS takes. */
  check(text: string | undefined, what: string, instanceId: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit: most payloads are known small without counting.
    if (text === undefined || text.length * 3 <= DTS_MESSAGE_LIMIT_BYTES) return;
    const bytes = Buffer.byteLength(text);
    if (bytes <= DTS_MESSAGE_LIMIT_BYTES) return;
    const key = `${instanceId}\u0000${what}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(
      `The ${what} of ${instanceId} is ${(bytes / 1_000_000).toFixed(2)} MB. The Durable Task Scheduler refuses messages above about 1 MB, so this runs here and fails in Azure. ` +
        "Keep large data in Blob Storage and pass a reference (the .NET, Python and Java SDKs can do that for you with large payload support; durabletask-js cannot).",
      instanceId,
    );
  }

  /** The payloads of an orchestrator's response: what it schedules, sends, returns and shows as custom status. */
  checkOrchestratorResponse(response: pb.OrchestratorResponse): void {
    const instanceId = response.getInstanceid();
    this.check(textOf(response.getCustomstatus()), "custom status", instanceId);
    for (const action of response.getActionsList()) {
      switch (action.getOrchestratoractiontypeCase()) {
        case Action.SCHEDULETASK:
          this.check(textOf(action.getScheduletask()?.getInput()), `input of activity '${action.getScheduletask()?.getName()}'`, instanceId);
          break;
        case Action.CREATESUBORCHESTRATION:
          this.check(
            textOf(action.getCreatesuborchestration()?.getInput()),
            `input of sub-orchestration '${action.getCreatesuborchestration()?.getName()}'`,
            instanceId,
          );
          break;
        case Action.SENDEVENT:
          this.check(textOf(action.getSendevent()?.getData()), `data of event '${action.getSendevent()?.getName()}'`, instanceId);
          break;
        case Action.COMPLETEORCHESTRATION:
          this.check(textOf(action.getCompleteorchestration()?.getResult()), "output", instanceId);
          break;
        case Action.SENDENTITYMESSAGE: {
          const message = action.getSendentitymessage();
          const input = message?.getEntityoperationcalled()?.getInput() ?? message?.getEntityoperationsignaled()?.getInput();
          this.check(textOf(input), "input of an entity operation", instanceId);
          break;
        }
        default:
      }
    }
  }

  checkActivityResponse(response: pb.ActivityResponse, activityName: string): void {
    this.check(textOf(response.getResult()), `result of activity '${activityName}'`, response.getInstanceid());
  }

  checkEntityResult(response: pb.EntityBatchResult, entityId: string): void {
    this.check(textOf(response.getEntitystate()), "state", entityId);
    for (const result of response.getResultsList()) this.check(textOf(result.getSuccess()?.getResult()), "result of an operation", entityId);
  }
}
