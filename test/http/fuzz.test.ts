/**
 * A seeded fuzz of the HTTP host over real loopback HTTP and raw sockets: 3,000+ hostile requests across every route
 * family (fuzz-cases.ts), slow clients among them under short request timeouts. It ends with the server still up and
 * answering, no answer of 500 or more (but the 500s Azure answers its client's refusals with, which carry their error
 * code), no connection closed without a status line, and the process's memory bounded.
 * Complements robustness.test.ts (a fixed list of bad requests to the management routes).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull, tempDir } from "../emulator/harness";
import { rawExchange, request, type RawAnswer } from "./http-client";
import { SeededRandom, httpCases, rawCases, type HttpCase, type RawCase, type RouteFamily } from "./fuzz-cases";

const SEED = 0x5eed_2026;
const HTTP_CASES = 2_700;
const RAW_CASES = 450;
const SLOW_CASES = 40;
const CONCURRENCY = 16;
/** Generous: on a loaded machine an answer can take seconds; only a server that never answers takes this long. */
const ANSWER_TIMEOUT_MS = 30_000;
const MAX_RSS_GROWTH_BYTES = 150 * 1024 * 1024;
const LIVE_INSTANCE = "fuzz-live";

/** What came back, by status ("dropped" for a connection closed without one), and what broke the rules. */
class Tally {
  readonly statuses = new Map<string, number>();
  readonly families = new Map<string, number>();
  readonly failures: string[] = [];
  sent = 0;

  http(fuzzCase: HttpCase, answer: { status: number; headers: Record<string, string | string[] | undefined> } | Error): void {
    this.sent++;
    this.count(this.families, fuzzCase.family);
    const what = `${fuzzCase.method} ${fuzzCase.path.slice(0, 160)} ${JSON.stringify(fuzzCase.headers).slice(0, 160)}`;
    if (answer instanceof Error) {
      this.count(this.statuses, "dropped");
      this.failures.push(`${what} → no answer: ${answer.message}`);
      return;
    }
    this.count(this.statuses, String(answer.status));
    // Azure answers 500 when its durable client refuses (a duplicate start, a resume of a running instance...);
    // the emulator marks those with their code. Any other 5xx is a fault.
    const code = answer.headers["x-durable-devkit-error-code"];
    const azure500 = answer.status === 500 && (code === "InvalidState" || code === "InstanceAlreadyExists");
    if (answer.status >= 500 && !azure500) this.failures.push(`${what} → ${answer.status} ${String(code ?? "")}`);
  }

  raw(fuzzCase: RawCase, answer: RawAnswer): void {
    this.sent++;
    this.count(this.families, "raw socket");
    const what = `raw ${fuzzCase.kind}: ${JSON.stringify(
      Buffer.concat(fuzzCase.chunks.map((chunk) => (typeof chunk === "string" ? Buffer.from(chunk) : chunk)))
        .toString("latin1")
        .slice(0, 120),
    )}`;
    // Every status line, for pipelined requests answered one after the other.
    const statuses = [...answer.text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
    if (statuses.length === 0) {
      this.count(this.statuses, "dropped");
      this.failures.push(`${what} → ${answer.ending === "timedOut" ? `no answer within ${ANSWER_TIMEOUT_MS} ms` : "closed without a status line"}`);
      return;
    }
    for (const status of statuses) this.count(this.statuses, String(status));
    if (statuses.some((status) => status >= 500)) this.failures.push(`${what} → ${statuses.join(", ")}`);
  }

  private count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

/** Runs `work` on every item, at most `concurrency` at a time. */
async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

describe("the HTTP host under a seeded fuzz", function () {
  this.timeout(180_000);
  let server: EmulatorServer;
  let origin: string;
  /** The server's own account of failures, to show next to any rule broken. */
  const failureLog: string[] = [];

  before(async () => {
    // The SQLite store: the routes' numbers and names reach SQL there.
    server = await startServer({
      appDir: KITCHEN_SINK,
      store: path.join(tempDir(), "store.sqlite"),
      port: 0,
      appOutput: devNull(),
      onLog: (line) => /fail/i.test(line) && failureLog.length < 20 && failureLog.push(line.slice(0, 600)),
    });
    origin = server.http.origin;
    // Short, so the slow clients are cut off within seconds rather than a minute.
    server.http.setRequestTimeouts({ headersMs: 1_500, requestMs: 3_000 });
    const live = await request(`${origin}/runtime/webhooks/durabletask/orchestrators/waitForever/${LIVE_INSTANCE}`, { method: "POST" });
    assert.equal(live.status, 202, live.text);
    const signalled = await request(`${origin}/runtime/webhooks/durabletask/entities/counter/fuzz?op=add`, { method: "POST", body: "1" });
    assert.equal(signalled.status, 202, signalled.text);
  });
  after(async () => {
    await server?.close();
  });

  it("answers 3,000+ hostile requests across every route family with no 5xx and no dropped connection, and stays up", async () => {
    const random = new SeededRandom(SEED);
    const targets = { port: server.http.port, liveInstanceId: LIVE_INSTANCE };
    const httpList = httpCases(random, targets, HTTP_CASES);
    const rawList = rawCases(random, targets, RAW_CASES, SLOW_CASES);
    const tally = new Tally();
    const send = (fuzzCase: HttpCase) =>
      request(`${origin}${fuzzCase.path}`, { method: fuzzCase.method, headers: fuzzCase.headers, body: fuzzCase.body, timeoutMs: ANSWER_TIMEOUT_MS }).catch(
        (error: Error) => error,
      );

    // Warm up (the app's first invocations, the dashboard's files) before taking the memory baseline.
    for (const fuzzCase of httpList.slice(0, 50)) await send(fuzzCase);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();

    // The slow clients run alongside everything else: holding their connections must not hold up anyone else.
    const slowClients = forEachConcurrently(
      rawList.filter((fuzzCase) => fuzzCase.slow),
      SLOW_CASES,
      async (fuzzCase) => tally.raw(fuzzCase, await rawExchange(targets.port, fuzzCase.chunks, ANSWER_TIMEOUT_MS)),
    );
    await forEachConcurrently(httpList, CONCURRENCY, async (fuzzCase) => tally.http(fuzzCase, await send(fuzzCase)));
    await forEachConcurrently(
      rawList.filter((fuzzCase) => !fuzzCase.slow),
      CONCURRENCY,
      async (fuzzCase) => tally.raw(fuzzCase, await rawExchange(targets.port, fuzzCase.chunks, ANSWER_TIMEOUT_MS)),
    );
    await slowClients;
    const elapsedMs = Date.now() - started;
    const rssAfter = process.memoryUsage().rss;

    const byStatus = [...tally.statuses.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${status}×${n}`)
      .join(", ");
    const byFamily = [...tally.families.entries()].map(([family, n]) => `${family} ${n}`).join(", ");
    console.log(
      `      fuzz (seed 0x${SEED.toString(16)}): ${tally.sent} requests in ${(elapsedMs / 1000).toFixed(1)} s: ${byFamily} (${SLOW_CASES} raw ones slow)`,
    );
    console.log(`      answers: ${byStatus}`);
    console.log(
      `      RSS: ${megabytes(rssBefore)} before, ${megabytes(rssAfter)} after (${rssAfter >= rssBefore ? "+" : ""}${megabytes(rssAfter - rssBefore)})`,
    );

    assert.deepEqual(tally.failures.slice(0, 40), [], `${tally.failures.length} requests broke the rules; the server logged:\n${failureLog.join("\n")}`);
    assert.ok(tally.sent >= 3_000, `sent ${tally.sent}`);
    const families: (RouteFamily | "raw socket")[] = ["app", "management", "entities", "dashboard", "unknown", "raw socket"];
    for (const family of families) assert.ok((tally.families.get(family) ?? 0) >= 200, `only ${tally.families.get(family) ?? 0} ${family} requests`);
    assert.ok(rssAfter - rssBefore < MAX_RSS_GROWTH_BYTES, `RSS grew by ${megabytes(rssAfter - rssBefore)}`);

    // Still up and answering: the dashboard, the management API, and the app with its durable client.
    assert.equal((await request(`${origin}/_durable/api/info`)).status, 200);
    const live = await request(`${origin}/runtime/webhooks/durabletask/instances/${LIVE_INSTANCE}`);
    assert.equal(live.status, 202, live.text);
    assert.equal(live.json().runtimeStatus, "Running");
    const completed = await request(`${origin}/api/wait/helloSequence?timeoutMs=20000`, { timeoutMs: ANSWER_TIMEOUT_MS });
    assert.equal(completed.status, 200, completed.text);
    assert.deepEqual(completed.json(), ["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"]);
  });
});
