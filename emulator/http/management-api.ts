/**
 * The Durable HTTP management API (the Durable extension's HttpApiHandler contract): the routes, query parameters,
 * status codes, headers and JSON field names scripts written against Azure expect, and the ones the JS durable
 * client calls under its rpcBaseUrl. Paths here are relative to /runtime/webhooks/durabletask.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Engine } from "../engine/engine";
import { isTerminal, type InstanceQuery, type InstanceRecord } from "../api/types";
import { DurableError, ERROR_CODES, errorCodeOf, instanceNotFound } from "../core/errors";
import { managementUrls } from "./client-binding";
import { HttpError, parseJsonBody } from "./request-guard";
import { renderHistory } from "./history-json";
import { parseEntityInstanceId } from "../engine/entity-batch";
import { parseJsonText } from "../api/json-text";
import { MAX_INT32, decodePathSegment, runtimeStatusParam, wholeNumberParam } from "./url-values";

/** Stored JSON text as a value; absent is null in the API. */
const parse = (text: string | undefined): unknown => parseJsonText(text) ?? null;

export interface ApiAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

const CONTINUATION_HEADER = "x-ms-continuation-token";
/** Azure answers no HTTP request after more than 230 s (its front end's limit), so a start-and-wait waits at most that. */
const MAX_START_WAIT_MS = 230_000;
/** Seconds a poller should wait, as the extension's check-status response says. */
const RETRY_AFTER_SECONDS = "10";

export class ManagementApi {
  constructor(
    private readonly engine: Engine,
    private readonly origin: string,
    private readonly taskHubName: string,
  ) {}

  async handle(method: string, path: string, query: URLSearchParams, body: Buffer, headers: IncomingHttpHeaders): Promise<ApiAnswer> {
    const segments = path.split("/").filter(Boolean).map(decodePathSegment);
    const verb = method.toUpperCase();
    try {
      const [collection, id, action, extra] = segments;
      if (collection === "orchestrators" && segments.length >= 2 && segments.length <= 3) {
        allow(verb, ["POST"]);
        return await this.start(segments[1], segments[2], query, body);
      }
      if (collection === "instances" && segments.length === 1) {
        if (verb === "DELETE") return await this.purgeWhere(query);
        allow(verb, ["GET", "DELETE"]);
        return this.list(query, headers);
      }
      if (collection === "instances" && segments.length === 2) {
        if (verb === "DELETE") return await this.purge(id);
        allow(verb, ["GET", "DELETE"]);
        return this.status(id, query);
      }
      if (collection === "instances" && action === "raiseEvent" && segments.length === 4) {
        allow(verb, ["POST"]);
        return await this.raiseEvent(id, extra, body);
      }
      if (collection === "instances" && segments.length === 3 && ["terminate", "suspend", "resume", "rewind", "restart"].includes(action)) {
        allow(verb, ["POST"]);
        return await this.control(id, action, query);
      }
      if (collection === "entities") return await this.entities(verb, segments.slice(1), query, body);
      throw new HttpError(404, `No Durable HTTP API route matches ${verb} ${path || "/"}.`);
    } catch (error) {
      return errorAnswer(error);
    }
  }

  /** GET entities[/{name}] lists, GET entities/{name}/{key} reads the state, POST entities/{name}/{key}?op= signals. */
  private async entities(verb: string, path: string[], query: URLSearchParams, body: Buffer): Promise<ApiAnswer> {
    const [name, key] = path;
    if (path.length <= 1) {
      allow(verb, ["GET"]);
      const fetchState = query.get("fetchState") === "true";
      const all = this.engine.listEntities().filter((record) => !name || record.name.toLowerCase() === name.toLowerCase());
      return {
        status: 200,
        body: all.map((record) => {
          const id = parseEntityInstanceId(record.instanceId);
          return { entityId: { name: id.name, key: id.key }, lastOperationTime: formatTime(record.lastUpdatedTime), ...(fetchState ? { state: parse(record.entity?.state) } : {}) };
        }),
      };
    }
    if (path.length !== 2) throw new HttpError(404, "Entity routes are entities, entities/{name} and entities/{name}/{key}.");
    if (verb === "POST") {
      const operation = query.get("op");
      if (!operation) throw new HttpError(400, "Signalling an entity needs the operation name as ?op=.");
      await this.engine.signalEntity(name, key, operation, parseJsonBody(body));
      return { status: 202 };
    }
    allow(verb, ["GET", "POST"]);
    const entity = this.engine.readEntity(name, key);
    return entity ? { status: 200, body: entity.state ?? null } : { status: 404, body: { error: `The entity @${name}@${key} does not exist.` } };
  }

  private checkStatus(instanceId: string, status: number): ApiAnswer {
    const links = managementUrls(this.origin, this.taskHubName, instanceId);
    return { status, headers: { Location: links.statusQueryGetUri, "Retry-After": RETRY_AFTER_SECONDS }, body: links };
  }

  private async start(name: string, instanceId: string | undefined, query: URLSearchParams, body: Buffer): Promise<ApiAnswer> {
    const input = parseJsonBody(body);
    const id = await this.engine.startNew(name, { instanceId, input, version: query.get("version") ?? undefined });
    const timeoutSeconds = query.has("timeout") ? Number(query.get("timeout")) : undefined;
    if (timeoutSeconds !== undefined && Number.isFinite(timeoutSeconds) && timeoutSeconds > 0) {
      const finished = await this.engine.waitForCompletion(id, Math.min(timeoutSeconds * 1000, MAX_START_WAIT_MS)).catch(() => undefined);
      if (finished) return { status: 200, body: finished.runtimeStatus === "Completed" ? finished.output : this.statusJson(this.recordOf(id), query) };
    }
    return this.checkStatus(id, 202);
  }

  private recordOf(instanceId: string): InstanceRecord {
    const record = this.engine.getRecord(instanceId);
    if (!record) throw instanceNotFound(instanceId);
    return record;
  }

  private statusJson(record: InstanceRecord, query: URLSearchParams): Record<string, unknown> {
    const showInput = query.get("showInput") !== "false";
    const json: Record<string, unknown> = {
      name: record.name,
      instanceId: record.instanceId,
      runtimeStatus: record.runtimeStatus,
      input: showInput ? parse(record.input) : null,
      customStatus: parse(record.customStatus),
      output: parse(record.output),
      createdTime: formatTime(record.createdTime),
      lastUpdatedTime: formatTime(record.lastUpdatedTime),
    };
    if (query.get("showHistory") === "true") {
      json.historyEvents = renderHistory(this.engine.getHistory(record.instanceId), query.get("showHistoryOutput") === "true");
    }
    return json;
  }

  private status(instanceId: string, query: URLSearchParams): ApiAnswer {
    const record = this.engine.getRecord(instanceId);
    if (!record) return { status: 404, body: { error: `No instance with ID '${instanceId}' was found.` } };
    const body = this.statusJson(record, query);
    if (record.runtimeStatus === "Failed" && query.get("returnInternalServerErrorOnFailure") === "true") return { status: 500, body };
    if (isTerminal(record.runtimeStatus)) return { status: 200, body };
    const links = managementUrls(this.origin, this.taskHubName, instanceId);
    return { status: 202, headers: { Location: links.statusQueryGetUri, "Retry-After": RETRY_AFTER_SECONDS }, body };
  }

  private filters(query: URLSearchParams): InstanceQuery {
    const statuses = query
      .getAll("runtimeStatus")
      .flatMap((value) => value.split(","))
      .map((value) => value.trim())
      .filter(Boolean)
      .map(runtimeStatusParam);
    return {
      runtimeStatus: statuses.length ? statuses : undefined,
      createdTimeFrom: time(query.get("createdTimeFrom"), "createdTimeFrom"),
      createdTimeTo: time(query.get("createdTimeTo"), "createdTimeTo"),
      instanceIdPrefix: query.get("instanceIdPrefix") ?? undefined,
    };
  }

  private list(query: URLSearchParams, headers: IncomingHttpHeaders): ApiAnswer {
    const top = wholeNumberParam(query, "top", 1, MAX_INT32);
    const token = headers[CONTINUATION_HEADER];
    const page = this.engine.list({ ...this.filters(query), top, continuationToken: typeof token === "string" && token ? token : undefined });
    return {
      status: 200,
      headers: page.continuationToken ? { [CONTINUATION_HEADER]: page.continuationToken } : {},
      body: page.instances.map((record) => this.statusJson(record, query)),
    };
  }

  /** As HandleDeleteHistoryByIdRequestAsync (HttpApiHandler.cs:554-567): whatever the instance's status (the engine warns). */
  private async purge(instanceId: string): Promise<ApiAnswer> {
    const deleted = await this.engine.purge(instanceId, { unfinished: "delete" });
    return deleted ? { status: 200, body: { instancesDeleted: 1 } } : { status: 404, body: { error: `No instance with ID '${instanceId}' was found.` } };
  }

  private async purgeWhere(query: URLSearchParams): Promise<ApiAnswer> {
    const filters = this.filters(query);
    if (!filters.createdTimeFrom && !filters.runtimeStatus && !filters.instanceIdPrefix) {
      throw new HttpError(400, "Purging by filter needs createdTimeFrom, runtimeStatus or instanceIdPrefix.");
    }
    // Only finished instances are purged, so a filter naming no finished status matches nothing. (The engine drops
    // the non-finished statuses, and a status filter left empty would match every instance, running ones included.)
    const finished = filters.runtimeStatus?.filter(isTerminal);
    const count = finished?.length === 0 ? 0 : await this.engine.purgeWhere({ ...filters, runtimeStatus: finished });
    return count ? { status: 200, body: { instancesDeleted: count } } : { status: 404, body: { instancesDeleted: 0 } };
  }

  private async raiseEvent(instanceId: string, eventName: string, body: Buffer): Promise<ApiAnswer> {
    const data = parseJsonBody(body);
    await this.engine.raiseEvent(instanceId, eventName, data);
    return { status: 202 };
  }

  private async control(instanceId: string, action: string, query: URLSearchParams): Promise<ApiAnswer> {
    const reason = query.get("reason") ?? undefined;
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
      default: {
        let newId: string;
        try {
          newId = await this.engine.restart(instanceId, { newInstanceId: query.get("restartWithNewInstanceId") !== "false" });
        } catch (error) {
          // RestartAsync's ArgumentException for an unknown id is a 400 (DurableClient.cs:1146-1149, HttpApiHandler.cs:939-941).
          if (error instanceof DurableError && error.code === "InstanceNotFound") throw new DurableError("BadRequest", error.message, { instanceId, cause: error });
          throw error;
        }
        return this.checkStatus(newId, 202);
      }
    }
  }
}

function allow(verb: string, methods: string[]): void {
  if (!methods.includes(verb)) throw new HttpError(405, `This route accepts ${methods.join(", ")}, not ${verb}.`);
}

/** The emulator's error code, in every error answer. */
export const ERROR_CODE_HEADER = "x-durable-devkit-error-code";

/** The status comes from the error's code, through the table every surface shares (emulator/core/errors.ts). */
function errorAnswer(error: unknown): ApiAnswer {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.message } };
  const code = errorCodeOf(error);
  return { status: ERROR_CODES[code].http, headers: { [ERROR_CODE_HEADER]: code }, body: { error: error instanceof Error ? error.message : String(error) } };
}

/** The extension writes times without fractions of a second: 2026-11-24T10:00:00Z. */
function formatTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

function time(text: string | null, name: string): string | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new HttpError(400, `${name} "${text}" is not a date/time; use ISO 8601, e.g. 2026-11-24T10:00:00Z.`);
  return new Date(ms).toISOString();
}
