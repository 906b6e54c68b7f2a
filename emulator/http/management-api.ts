/**
 * The Durable HTTP management API, as the Durable extension's HttpApiHandler answers it
 * (src/WebJobs.Extensions.DurableTask/HttpApiHandler.cs in Azure/azure-functions-durable-extension): the routes,
 * query parameters, status codes, headers, bodies and JSON field names scripts written against Azure see, and the
 * ones the JS durable client calls under its rpcBaseUrl. Paths here are relative to /runtime/webhooks/durabletask.
 *
 * Where the extension answers an error with an empty body (404, 410), this does too; every error answer also carries
 * the emulator's own explanation in the x-durable-devkit-error header (and its code in x-durable-devkit-error-code),
 * which the dashboard, the CLI and the VS Code extension show. Status codes come from the error's code through the
 * one table in emulator/core/errors.ts.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Engine } from "../engine/engine";
import { isTerminal, type InstanceQuery, type InstanceRecord, type RuntimeStatus } from "../api/types";
import { DurableError, ERROR_CODES, badRequest, errorCodeOf, instanceNotFound, type DurableErrorCode } from "../core/errors";
import { managementUrls } from "./client-binding";
import { renderHistory, rawReason } from "./history-json";
import { parseEntityInstanceId } from "../engine/entity-batch";
import { AzureQuery } from "./azure-query";
import { newtonsoftDate, parseToJToken } from "../core/azure-json";

export interface ApiAnswer {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value; undefined for no body at all. */
  body?: unknown;
}

export const CONTINUATION_HEADER = "x-ms-continuation-token";
/** The emulator's explanation of an error answer, and the error's code. */
export const ERROR_HEADER = "x-durable-devkit-error";
export const ERROR_CODE_HEADER = "x-durable-devkit-error-code";
/** Azure answers no HTTP request after more than 230 s (its front end's limit), so a start-and-wait waits at most that. */
const MAX_START_WAIT_MS = 230_000;
/** CreateCheckStatusResponseMessage asks pollers to wait 10 s (HttpApiHandler.cs:1238) ... */
const CHECK_STATUS_RETRY_AFTER = "10";
/** ... and a status answer of an unfinished instance 5 s (HttpApiHandler.cs:685-689). */
const STATUS_RETRY_AFTER = "5";
/** OrchestrationStatusQueryCondition.PageSize and EntityQuery.PageSize default to 100 (OrchestrationStatusQueryCondition.cs:64). */
const DEFAULT_PAGE_SIZE = 100;
/** Azure Table storage returns at most 1,000 rows a page, whatever the page size asked for. */
const MAX_PAGE_SIZE = 1000;

/** OrchestrationRuntimeStatus (OrchestrationRuntimeStatus.cs:17-57), by name and number. */
const AZURE_STATUSES = ["Running", "Completed", "ContinuedAsNew", "Failed", "Canceled", "Terminated", "Pending", "Suspended"] as const;

/** What the extension's catch-all answers say (HttpApiHandler.cs:442-449). */
const ARGUMENTS_INCORRECT = "One or more of the arguments submitted is incorrect";
const SOMETHING_WENT_WRONG = "Something went wrong while processing your request";
const INVALID_JSON = "Invalid JSON content";
const JSON_READER_EXCEPTION = "Newtonsoft.Json.JsonReaderException";
/** The .NET exception each code stands for, as the extension's error bodies name it. */
const EXCEPTION_TYPES: Partial<Record<DurableErrorCode, string>> = {
  InstanceAlreadyExists: "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException",
  InvalidState: "System.InvalidOperationException",
  UnknownFunction: "System.ArgumentException",
  BadRequest: "System.ArgumentException",
  NotAnOrchestration: "System.ArgumentException",
  Internal: "System.Exception",
};

export interface ManagementApiOptions {
  /** Where a fault of the emulator's own (an Internal error) is reported with its stack. */
  onLog?: (line: string) => void;
}

export class ManagementApi {
  constructor(
    private readonly engine: Engine,
    private readonly origin: string,
    private readonly taskHubName: string,
    private readonly options: ManagementApiOptions = {},
  ) {}

  /**
   * `path` is relative to the API's base; `search` the URL's query ("?a=b" or ""); `requestUrl` the whole URL the
   * request was sent to (the status answer's Location).
   */
  async handle(method: string, path: string, search: string, body: Buffer, headers: IncomingHttpHeaders, requestUrl: string): Promise<ApiAnswer> {
    const verb = method.toUpperCase();
    const query = AzureQuery.parse(search);
    try {
      // The extension matches "/" + the path trimmed of slashes against its route templates (HttpApiHandler.cs:298),
      // whose literal segments match in any letter case.
      const trimmed = path.replace(/^\/+|\/+$/g, "");
      const segments = trimmed === "" ? [] : trimmed.split("/").map(decodeSegment);
      if (segments.some((segment) => segment === "")) throw routeNotFound(verb, path);
      const [collection, id, action, extra] = segments;
      const is = (text: string | undefined, literal: string) => text?.toLowerCase() === literal.toLowerCase();
      if (is(collection, "orchestrators") && segments.length >= 2 && segments.length <= 3) {
        if (verb !== "POST") throw routeNotFound(verb, path);
        return await this.start(segments[1], segments[2], query, body, requestUrl);
      }
      if (is(collection, "entities") && segments.length <= 3) return await this.entities(verb, segments[1], segments[2], query, body, headers, path);
      if (is(collection, "instances") && segments.length === 1) {
        if (verb === "GET") return this.list(query, headers);
        if (verb === "DELETE") return await this.purgeWhere(query);
        throw routeNotFound(verb, path);
      }
      if (is(collection, "instances") && segments.length === 2) {
        if (verb === "GET") return this.status(id, query, requestUrl);
        if (verb === "DELETE") return await this.purge(id);
        throw routeNotFound(verb, path);
      }
      if (is(collection, "instances") && segments.length === 3 && verb === "POST") {
        const operation = ["terminate", "rewind", "restart", "suspend", "resume"].find((name) => is(action, name));
        if (operation) return await this.control(id, operation, query, requestUrl);
      }
      if (is(collection, "instances") && is(action, "raiseEvent") && segments.length === 4) {
        if (verb !== "POST") throw routeNotFound(verb, path);
        return await this.raiseEvent(id, extra, body, headers);
      }
      throw routeNotFound(verb, path);
    } catch (error) {
      return this.refusal(error);
    }
  }

  // ---------------------------------------------------------------- errors

  /**
   * The answer for an error the handler did not word itself: the extension's own checks answer an empty 404 or 410;
   * what the client throws reaches its catch-all (HttpApiHandler.cs:442-449), worded there.
   */
  private refusal(error: unknown, worded?: { message: string; exceptionType?: string; withException?: boolean }): ApiAnswer {
    const code = errorCodeOf(error);
    const status = ERROR_CODES[code].http;
    const message = error instanceof Error ? error.message : String(error);
    if (code === "Internal") this.options.onLog?.(`Durable HTTP API: unexpected failure: ${error instanceof Error ? error.stack : message}`);
    const headers = { [ERROR_HEADER]: headerText(message), [ERROR_CODE_HEADER]: code };
    if (!worded && (code === "InstanceNotFound" || code === "InstanceFinished" || code === "RouteNotFound")) return { status, headers };
    const outer = worded?.message ?? (status === 400 ? ARGUMENTS_INCORRECT : SOMETHING_WENT_WRONG);
    if (worded && worded.withException === false) return { status, headers, body: { Message: outer } };
    return {
      status,
      headers,
      body: {
        Message: outer,
        ExceptionMessage: message,
        ExceptionType: worded?.exceptionType ?? EXCEPTION_TYPES[code] ?? "System.Exception",
        StackTrace: null,
      },
    };
  }

  // ---------------------------------------------------------------- orchestrations

  private checkStatus(instanceId: string): ApiAnswer {
    const links = managementUrls(this.origin, this.taskHubName, instanceId);
    const { rewindPostUri: _rewind, ...payload } = links;
    // CreateCheckStatusResponseMessage's body has no rewind link (HttpApiHandler.cs:1222-1234).
    return { status: 202, headers: { Location: links.statusQueryGetUri, "Retry-After": CHECK_STATUS_RETRY_AFTER }, body: payload };
  }

  /** POST orchestrators/{functionName}/{instanceId?} (HandleStartOrchestratorRequestAsync, HttpApiHandler.cs:857-899). */
  private async start(name: string, instanceId: string | undefined, query: AzureQuery, body: Buffer, requestUrl: string): Promise<ApiAnswer> {
    let input: unknown;
    try {
      input = body.length ? deserializeObject(body.toString("utf8")) : undefined;
    } catch (error) {
      return this.refusal(error, { message: INVALID_JSON, exceptionType: JSON_READER_EXCEPTION });
    }
    // The handler starts every instance with the version "" (DurableClient.cs:32, 204-205): a ?version= the durable
    // client sends (durable-functions appends it to its rpcBaseUrl call) is not read, so context.df.version is "".
    const id = await this.engine.startNew(name, { instanceId: instanceId || undefined, input });
    const version = query.get("version");
    if (version) {
      this.engine.warn(
        `Started ${name} (${id}) without the version "${version}" it was asked for: Azure's Durable HTTP API ignores it (the Durable extension starts ` +
          'every orchestration with version ""), so context.df.version is "" there too, as it is for sub-orchestrations: pass what the code needs to know in the input.',
        id,
      );
    }
    return this.waitOrCheckStatus(id, query, requestUrl);
  }

  /**
   * With both ?timeout= and ?pollingInterval= (seconds), waits for the instance to finish
   * (WaitForCompletionOrCreateCheckStatusResponseAsync, HttpApiHandler.cs:196-280): its output when it completed,
   * its status when it failed or was terminated, the check-status answer when the time is up. Without both, the
   * check-status answer at once (HttpApiHandler.cs:886-893): the Azure Storage provider cannot wait without polling.
   */
  private async waitOrCheckStatus(instanceId: string, query: AzureQuery, requestUrl: string): Promise<ApiAnswer> {
    const timeout = query.double("timeout");
    const pollingInterval = query.double("pollingInterval");
    if (timeout === undefined || pollingInterval === undefined) return this.checkStatus(instanceId);
    // TimeSpan.FromSeconds refuses NaN with an ArgumentException and infinities with an OverflowException.
    if (Number.isNaN(timeout) || Number.isNaN(pollingInterval)) throw badRequest("TimeSpan does not accept floating point Not-a-Number values.");
    if (!Number.isFinite(timeout) || !Number.isFinite(pollingInterval))
      throw new DurableError("Internal", "TimeSpan overflowed because the duration is too long.");
    if (pollingInterval > timeout) throw badRequest(`Total timeout ${timeout} should be bigger than retry timeout ${pollingInterval}`);
    const waitMs = Math.min(Math.max(0, timeout * 1000), MAX_START_WAIT_MS);
    const finished = waitMs > 0 ? await this.engine.waitForCompletion(instanceId, waitMs).catch(() => undefined) : this.engine.getStatus(instanceId);
    if (finished?.runtimeStatus === "Completed") return { status: 200, body: this.statusJson(this.recordOf(instanceId), query).output };
    if (finished && isTerminal(finished.runtimeStatus)) return this.status(instanceId, query, requestUrl, false);
    return this.checkStatus(instanceId);
  }

  private recordOf(instanceId: string): InstanceRecord {
    const record = this.engine.getRecord(instanceId);
    if (!record) throw instanceNotFound(instanceId);
    return record;
  }

  /** StatusResponsePayload (StatusResponsePayload.cs) of DurableClient.ConvertOrchestrationStateToStatus (DurableClient.cs:1079-1093). */
  private statusJson(record: InstanceRecord, query: AzureQuery, withHistory = false): Record<string, unknown> {
    const showInput = query.bool("showInput") ?? true;
    const json: Record<string, unknown> = {
      name: record.name,
      instanceId: record.instanceId,
      runtimeStatus: record.runtimeStatus,
      input: showInput ? parseToJToken(record.input) : null,
      customStatus: parseToJToken(record.customStatus),
      output: parseToJToken(outputText(record)),
      createdTime: formatTime(record.createdTime),
      lastUpdatedTime: formatTime(record.lastUpdatedTime),
    };
    // No history for a Pending instance (DurableClient.cs:941); historyEvents is left out when null (EmitDefaultValue = false).
    if (withHistory && (query.bool("showHistory") ?? false) && record.runtimeStatus !== "Pending") {
      json.historyEvents = renderHistory(this.engine.getHistory(record.instanceId), { showHistoryOutput: query.bool("showHistoryOutput") ?? false, showInput });
    }
    return json;
  }

  /** GET instances/{instanceId} (HandleGetStatusRequestAsync, HttpApiHandler.cs:598-692). */
  private status(instanceId: string, query: AzureQuery, requestUrl: string, returnInternalServerErrorOnFailure?: boolean): ApiAnswer {
    const record = this.recordOf(instanceId);
    const body = this.statusJson(record, query, true);
    const failWith500 = returnInternalServerErrorOnFailure ?? query.bool("returnInternalServerErrorOnFailure") ?? false;
    if (record.runtimeStatus === "Failed") return { status: failWith500 ? 500 : 200, body };
    if (isTerminal(record.runtimeStatus)) return { status: 200, body };
    // The Location is the request's own URL (HttpApiHandler.cs:652).
    return { status: 202, headers: { Location: requestUrl, "Retry-After": STATUS_RETRY_AFTER }, body };
  }

  /** The query's filters, read as HandleGetStatusRequestAsync reads them (HttpApiHandler.cs:460-478); undefined: nothing can match. */
  private filters(query: AzureQuery): InstanceQuery | undefined {
    let runtimeStatus: RuntimeStatus[] | undefined;
    const named = query.values("runtimeStatus");
    if (named) {
      const parsed = named
        .flatMap((value) => value.split(","))
        .map(enumValue)
        .filter((value): value is number => value !== undefined);
      if (parsed.length) {
        // OrchestrationRuntimeStatus.Unknown (-1) has no OrchestrationStatus to become (AzureStorageDurabilityProvider.cs:216-217).
        if (parsed.includes(-1)) throw badRequest("Requested value 'Unknown' was not found.");
        runtimeStatus = parsed.map((value) => AZURE_STATUSES[value]).filter((status): status is RuntimeStatus => status !== undefined && status !== "Canceled");
        if (!runtimeStatus.length) return undefined;
      }
    }
    return {
      runtimeStatus,
      createdTimeFrom: query.date("createdTimeFrom"),
      createdTimeTo: query.date("createdTimeTo"),
      instanceIdPrefix: query.get("instanceIdPrefix") || undefined,
    };
  }

  /**
   * GET instances: one page, in instance id order (Azure Storage's partition key order), of at most `top` instances
   * (default 100), after the x-ms-continuation-token the request sends; the answer always has the header, empty on
   * the last page (HttpApiHandler.cs:452-511; HttpApiHandlerTests.cs:536).
   */
  private list(query: AzureQuery, headers: IncomingHttpHeaders): ApiAnswer {
    const filters = this.filters(query);
    const all = filters ? this.engine.list(filters).instances : [];
    const { page, next } = pageById(all, pageSize(query), continuationOf(headers));
    return { status: 200, headers: { [CONTINUATION_HEADER]: next }, body: page.map((record) => this.statusJson(record, query)) };
  }

  /** DELETE instances/{instanceId} (HandleDeleteHistoryByIdRequestAsync, HttpApiHandler.cs:554-567): whatever its status. */
  private async purge(instanceId: string): Promise<ApiAnswer> {
    const deleted = await this.engine.purge(instanceId, { unfinished: "delete" });
    if (!deleted) throw instanceNotFound(instanceId);
    return { status: 200, body: { instancesDeleted: 1 } };
  }

  /**
   * DELETE instances?createdTimeFrom=… (HandleDeleteHistoryWithFiltersRequestAsync, HttpApiHandler.cs:569-596):
   * createdTimeFrom is required, createdTimeTo defaults to now, instanceIdPrefix is not read; of runtimeStatus only
   * the finished statuses count, and when none is left every instance in the time range goes, running ones and
   * entities included (AzureTableTrackingStore.PurgeInstanceHistoryAsync and DeleteHistoryAsync). The engine warns
   * for each unfinished one.
   */
  private async purgeWhere(query: AzureQuery): Promise<ApiAnswer> {
    const createdTimeFrom = query.date("createdTimeFrom");
    if (!createdTimeFrom) {
      const error = badRequest("Purging by filter needs createdTimeFrom (an ISO 8601 date-time), as in Azure.");
      return {
        status: 400,
        headers: { [ERROR_HEADER]: headerText(error.message), [ERROR_CODE_HEADER]: error.code },
        body: "Please provide value for 'createdTimeFrom' parameter.",
      };
    }
    const statuses = (query.values("runtimeStatus") ?? [])
      .flatMap((value) => value.split(","))
      .map(enumValue)
      .map((value) => (value === undefined ? undefined : AZURE_STATUSES[value]))
      .filter((status): status is RuntimeStatus => status === "Completed" || status === "Failed" || status === "Terminated");
    const canceledOnly = statuses.length === 0 && (query.values("runtimeStatus") ?? []).flatMap((v) => v.split(",")).some((v) => enumValue(v) === 4);
    // What a cleanup script asked for and Azure does not do, said loudly (each unfinished instance purged is warned about too).
    const surprises: string[] = [];
    const prefix = query.get("instanceIdPrefix");
    if (prefix)
      surprises.push(
        `the instanceIdPrefix "${prefix}" filter was ignored: Azure's purge by filter takes only createdTimeFrom, createdTimeTo and runtimeStatus`,
      );
    const named = (query.values("runtimeStatus") ?? []).flatMap((v) => v.split(",")).filter(Boolean);
    if (named.length && !statuses.length && !canceledOnly)
      surprises.push(`runtimeStatus ${named.join(",")} names no finished status, which Azure Storage drops from a purge, leaving no status filter at all`);
    if (surprises.length)
      this.engine.warn(
        `Purge of instances created from ${createdTimeFrom}: ${surprises.join("; ")}. Pass runtimeStatus=Completed,Failed,Terminated to keep running work.`,
      );
    const count = canceledOnly
      ? 0
      : await this.engine.purgeWhere(
          {
            createdTimeFrom,
            createdTimeTo: query.date("createdTimeTo") ?? new Date(this.engine.clock.now()).toISOString(),
            runtimeStatus: statuses.length ? statuses : undefined,
          },
          { includeUnfinished: true, includeEntities: true },
        );
    if (count === 0) throw new DurableError("InstanceNotFound", "No instance matches the filter.");
    return { status: 200, body: { instancesDeleted: count } };
  }

  /**
   * POST instances/{instanceId}/raiseEvent/{eventName} (HandleRaiseEventRequestAsync, HttpApiHandler.cs:978-1020):
   * 404 and 410 first, then only application/json, parsed as JSON (an empty body is not JSON).
   */
  private async raiseEvent(instanceId: string, eventName: string, body: Buffer, headers: IncomingHttpHeaders): Promise<ApiAnswer> {
    const record = this.recordOf(instanceId);
    if (isTerminal(record.runtimeStatus)) {
      throw new DurableError("InstanceFinished", `Cannot raise event "${eventName}" to instance "${instanceId}": it is already ${record.runtimeStatus}.`, {
        instanceId,
      });
    }
    if (mediaType(headers["content-type"]) !== "application/json") {
      const error = badRequest(
        `Raising an event needs a JSON body sent as Content-Type: application/json (this request's is ${headers["content-type"] ? `"${headers["content-type"]}"` : "not set"}).`,
      );
      return this.refusal(error, { message: "Only application/json request content is supported", withException: false });
    }
    let data: unknown;
    try {
      data = convertToJToken(body.toString("utf8"));
    } catch (error) {
      return this.refusal(error, { message: INVALID_JSON, exceptionType: JSON_READER_EXCEPTION });
    }
    await this.engine.raiseEvent(instanceId, eventName, data);
    return { status: 202 };
  }

  /** POST instances/{instanceId}/{terminate|suspend|resume|rewind|restart} (HttpApiHandler.cs:785-855, 901-976). */
  private async control(instanceId: string, action: string, query: AzureQuery, requestUrl: string): Promise<ApiAnswer> {
    const reason = query.get("reason");
    switch (action) {
      case "terminate":
        await this.engine.terminate(instanceId, reason);
        return { status: 202 };
      case "suspend":
        await this.engine.suspend(instanceId, reason);
        return { status: 202 };
      case "resume":
        await this.engine.resume(instanceId, reason);
        return { status: 202 };
      case "rewind":
        await this.engine.rewind(instanceId, reason);
        return { status: 202 };
      default:
        return this.restart(instanceId, query, requestUrl);
    }
  }

  /**
   * HandleRestartInstanceRequestAsync (HttpApiHandler.cs:901-947): an ArgumentException from RestartAsync (no such
   * instance, DurableClient.cs:1146-1149; or its orchestrator is gone) is a 400 worded by the handler itself.
   */
  private async restart(instanceId: string, query: AzureQuery, requestUrl: string): Promise<ApiAnswer> {
    let newId: string;
    try {
      newId = await this.engine.restart(instanceId, { newInstanceId: query.bool("restartWithNewInstanceId") ?? true });
    } catch (error) {
      if (error instanceof DurableError && (error.code === "InstanceNotFound" || ERROR_CODES[error.code].http === 400)) {
        const argument = error.code === "InstanceNotFound" ? badRequest(error.message, error) : error;
        return this.refusal(argument, { message: "InstanceId does not match a valid orchestration instance.", exceptionType: "System.ArgumentException" });
      }
      throw error;
    }
    return this.waitOrCheckStatus(newId, query, requestUrl);
  }

  // ---------------------------------------------------------------- entities

  /** entities/{entityName?}/{entityKey?} (HttpApiHandler.cs:314-347): GET reads or lists, POST and DELETE signal. */
  private async entities(
    verb: string,
    name: string | undefined,
    key: string | undefined,
    query: AzureQuery,
    body: Buffer,
    headers: IncomingHttpHeaders,
    path: string,
  ): Promise<ApiAnswer> {
    if (verb === "GET") {
      if (key) return this.readEntity(name as string, key === "$" ? "" : key);
      return this.listEntities(name, query, headers);
    }
    if (verb !== "POST" && verb !== "DELETE") throw routeNotFound(verb, path);
    // The EntityId constructor's ArgumentException, answered with its message alone (HttpApiHandler.cs:343-346).
    if (!name) {
      const error = badRequest("Invalid entity id: entity name must not be a null or empty string. (Parameter 'entityName')");
      return this.refusal(error, { message: error.message, withException: false });
    }
    // DELETE signals "delete"; POST the ?op= operation, "" when there is none (HttpApiHandler.cs:1046-1092).
    const operation = verb === "DELETE" ? "delete" : (query.get("op") ?? "");
    let input: unknown;
    if (body.length) {
      const text = body.toString("utf8");
      if (mediaType(headers["content-type"]) === "application/json") {
        try {
          input = convertToJToken(text);
        } catch (error) {
          const message = `Could not parse JSON content: ${error instanceof Error ? error.message : String(error)}`;
          return this.refusal(badRequest(message), { message, withException: false });
        }
      } else {
        input = text; // any other content is the operation's input as a string
      }
    }
    try {
      await this.engine.signalEntity(name, key ?? "", operation, input);
    } catch (error) {
      if (error instanceof DurableError && ERROR_CODES[error.code].http === 400) return this.refusal(error, { message: error.message, withException: false });
      throw error;
    }
    return { status: 202 };
  }

  private readEntity(name: string, key: string): ApiAnswer {
    const entity = this.engine.readEntity(name, key);
    if (!entity) throw new DurableError("InstanceNotFound", `The entity @${name.toLowerCase()}@${key} does not exist (it has no state).`);
    return { status: 200, body: entity.state ?? null };
  }

  /**
   * GET entities[/{entityName}] (HandleListEntitiesRequestAsync, HttpApiHandler.cs:513-552): entities that exist, a
   * page of `top` (default 100) in id order with the continuation header, state only with fetchState=true.
   */
  private listEntities(name: string | undefined, query: AzureQuery, headers: IncomingHttpHeaders): ApiAnswer {
    const from = query.date("lastOperationTimeFrom");
    const to = query.date("lastOperationTimeTo");
    const fetchState = query.bool("fetchState") ?? false;
    const matching = this.engine
      .listEntities()
      .filter((record) => record.entity?.exists)
      .filter((record) => !name || parseEntityInstanceId(record.instanceId).name === name.toLowerCase())
      .filter((record) => (!from || record.lastUpdatedTime >= from) && (!to || record.lastUpdatedTime <= to));
    const { page, next } = pageById(matching, pageSize(query), continuationOf(headers));
    return {
      status: 200,
      headers: { [CONTINUATION_HEADER]: next },
      body: page.map((record) => {
        const id = parseEntityInstanceId(record.instanceId);
        return {
          entityId: { name: id.name, key: id.key },
          lastOperationTime: newtonsoftDate(record.lastUpdatedTime),
          state: fetchState ? parseToJToken(record.entity?.state) : null,
        };
      }),
    };
  }
}

// ------------------------------------------------------------------ reading requests

function routeNotFound(verb: string, path: string): DurableError {
  return new DurableError(
    "RouteNotFound",
    `No Durable HTTP API route answers ${verb} ${path || "/"} (as in Azure, a method a route does not take is a 404 too). ` +
      "Routes: POST orchestrators/{name}[/{id}], GET|DELETE instances[/{id}], POST instances/{id}/{terminate|suspend|resume|rewind|restart}, " +
      "POST instances/{id}/raiseEvent/{event}, GET|POST|DELETE entities[/{name}[/{key}]].",
  );
}

/** A path segment, percent-decoded as far as it is valid percent-encoding (an invalid escape stays as written). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/** The media type of a Content-Type header, lower-cased; undefined when there is none or it does not parse. */
function mediaType(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  const type = text?.split(";")[0].trim().toLowerCase();
  return type && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : undefined;
}

/** Enum.TryParse of an OrchestrationRuntimeStatus: a name in its exact letter case, or any integer. */
function enumValue(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[+-]?\d+$/.test(trimmed)) return Number(trimmed);
  if (trimmed === "Unknown") return -1;
  const index = (AZURE_STATUSES as readonly string[]).indexOf(trimmed);
  return index < 0 ? undefined : index;
}

function pageSize(query: AzureQuery): number {
  const top = query.int("top");
  return top === undefined || top < 1 ? DEFAULT_PAGE_SIZE : Math.min(top, MAX_PAGE_SIZE);
}

function continuationOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers[CONTINUATION_HEADER];
  const token = Array.isArray(value) ? value[0] : value;
  return token ? token : undefined;
}

/** A page of records in instance id order, after the one a continuation token names; the next token, "" at the end. */
function pageById(records: InstanceRecord[], size: number, token: string | undefined): { page: InstanceRecord[]; next: string } {
  const sorted = [...records].sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  let start = 0;
  if (token) {
    const after = decodeToken(token);
    start = sorted.findIndex((record) => record.instanceId > after);
    if (start < 0) start = sorted.length;
  }
  const page = sorted.slice(start, start + size);
  const more = start + size < sorted.length;
  return { page, next: more ? Buffer.from(JSON.stringify({ after: page[page.length - 1].instanceId })).toString("base64url") : "" };
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { after?: unknown };
    if (typeof parsed.after === "string") return parsed.after;
  } catch {
    // below
  }
  throw badRequest(`The continuation token "${token.slice(0, 100)}" is not one this emulator issued. Start the listing again without it.`);
}

/** JsonConvert.DeserializeObject: one JSON value and nothing after it; blank text is null. */
function deserializeObject(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * MessagePayloadDataConverter.ConvertToJToken (MessagePayloadDataConverter.cs:77-90): JToken.Load reads the first
 * JSON value and ignores what follows it; an empty body has none and fails.
 */
function convertToJToken(text: string): unknown {
  const start = text.search(/\S/);
  if (start < 0) throw badRequest("Error reading JToken from JsonReader. Path '', line 0, position 0.");
  const end = endOfJsonValue(text, start);
  try {
    return JSON.parse(text.slice(start, end));
  } catch (error) {
    throw badRequest(`The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Where the JSON value that starts at `start` ends (a best effort: JSON.parse decides whether it is one). */
function endOfJsonValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"') {
    for (let i = start + 1; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === '"') return i + 1;
    }
    return text.length;
  }
  if (first === "{" || first === "[") {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      } else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return text.length;
  }
  const match = /^[^\s,\]}]+/.exec(text.slice(start));
  return start + (match ? match[0].length : 1);
}

// ------------------------------------------------------------------ writing answers

/**
 * The text Azure Storage keeps as the instance's output: a termination's reason itself (not JSON), and, until the
 * instance finishes, the reason of its last suspend or resume (AzureTableTrackingStore.UpdateStateAsync writes
 * both into the Output column).
 */
function outputText(record: InstanceRecord): string | null | undefined {
  if (record.runtimeStatus === "Terminated") return rawReason(record.output);
  if (!isTerminal(record.runtimeStatus) && record.controlReason !== undefined) return record.controlReason;
  return record.output;
}

/** The extension writes times with ToString("s") + "Z", without fractions of a second: 2026-11-24T10:00:00Z. */
function formatTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

/** A header value: printable ASCII, "%" and anything else percent-encoded (decodeURIComponent reads it back), at most 2,000 characters. */
function headerText(text: string): string {
  const safe = text.replace(/\s+/g, " ").replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return "?";
    }
  });
  return safe.length > 2000 ? `${safe.slice(0, 1997)}...` : safe;
}
