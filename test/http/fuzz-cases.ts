/**
 * The hostile requests of the HTTP fuzz test (fuzz.test.ts), drawn from a seeded generator so every run sends the
 * same ones: requests a client library can send (odd paths, queries, methods, headers, bodies) to every route family,
 * and bytes only a raw socket sends (bad request lines, huge headers, bad framing, slow clients, random bytes).
 *
 * The app's routes are the kitchen-sink fixture's. Its handlers that parse their input without guarding it (the
 * starters JSON.parse their body or query, /api/throws throws) answer 500 for bad input by design, as they would
 * under `func start`; they get only requests the host refuses before invoking them (wrong method, foreign Host or
 * Origin) or input they accept, so any 5xx seen is the emulator's.
 */

export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: tiny and fast, and plenty for picking test cases. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  bytes(length: number): Buffer {
    const buffer = Buffer.alloc(length);
    for (let i = 0; i < length; i++) buffer[i] = Math.floor(this.next() * 256);
    return buffer;
  }

  /** `length` characters of `alphabet`, picked by code point so no emoji is split into a lone surrogate. */
  text(length: number, alphabet: string): string {
    const characters = Array.from(alphabet);
    let text = "";
    for (let i = 0; i < length; i++) text += characters[Math.floor(this.next() * characters.length)];
    return text;
  }
}

export type RouteFamily = "app" | "management" | "entities" | "dashboard" | "unknown";

export interface HttpCase {
  family: RouteFamily;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface RawCase {
  kind: string;
  chunks: (string | Buffer)[];
  /** Sends a request that never completes: only the server's request timeouts end it. */
  slow: boolean;
}

export interface FuzzTargets {
  port: number;
  /** An instance waiting for an event named "never"; the fuzz must leave it running. */
  liveInstanceId: string;
}

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const PRINTABLE = `${ALNUM} !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`;
const WEBHOOK = "/runtime/webhooks/durabletask";
/** Orchestrators the fuzz may start with any input: none of them loops on its input (countChain would). */
const ORCHESTRATORS = ["helloSequence", "waitForever", "approvalRace", "throwsError", "statusReporter"];
const RUNTIME_STATUS_TEXTS = [
  "Running",
  "running",
  "Completed",
  "Failed,Terminated",
  "Pending",
  "Suspended",
  "ContinuedAsNew",
  "Bogus",
  ",,,",
  "Completed,Bogus",
  "",
];
const NUMBER_TEXTS = ["1", "10", "1000", "2147483647", "2147483648", "1e21", "-1", "0", "1.5", "NaN", "Infinity", "0x10", "007", "", " 5", "9".repeat(40)];
const DATE_TEXTS = [
  "2026-01-01T00:00:00Z",
  "yesterday",
  "2026-13-45T99:99:99Z",
  "0",
  "+275760-09-13T00:00:00.000Z",
  "-271821-04-20T00:00:00.000Z",
  "",
  "2026-01-01",
];
const BAD_ENCODINGS = ["%zz", "%E0%A4%A", "%", "%%", "%u1234", "%C0%AF", "%FF%FE", "%00"];

/** A path segment, often hostile: bad percent-encoding, dot segments, encoded slashes, huge, unicode. */
function segment(random: SeededRandom): string {
  switch (random.int(0, 9)) {
    case 0:
      return random.pick(BAD_ENCODINGS);
    case 1:
      return random.pick([".", "..", "%2e%2e", "%2F", "%2f..%2f", "%5C", "@counter@x", "null", "undefined", "-1", "9".repeat(30)]);
    case 2:
      return random.text(random.int(500, 3000), ALNUM);
    case 3:
      return encodeURIComponent(random.text(random.int(1, 12), "äöüßé漢字🙂\u0000\u0007 \t/\\?#&=+"));
    case 4:
      return encodeURIComponent(random.bytes(random.int(1, 16)).toString("latin1"));
    default:
      return random.text(random.int(1, 20), ALNUM);
  }
}

function queryValue(random: SeededRandom, name: string): string {
  if (/^(top|offset|limit|timeoutMs)$/.test(name)) return encodeURIComponent(random.pick(NUMBER_TEXTS));
  if (/time(From|To)$/.test(name)) return encodeURIComponent(random.pick(DATE_TEXTS));
  if (/^(runtimeStatus|status)$/.test(name)) return encodeURIComponent(random.pick(RUNTIME_STATUS_TEXTS));
  // A start-and-wait waits this many seconds: keep it short (or unusable) so no request waits long.
  if (name === "timeout") return random.pick(["0", "-1", "0.05", "junk", "NaN", "Infinity", ""]);
  if (random.chance(0.2)) return random.pick(BAD_ENCODINGS);
  return encodeURIComponent(random.text(random.int(0, 30), PRINTABLE));
}

const QUERY_NAMES = [
  "top",
  "runtimeStatus",
  "createdTimeFrom",
  "createdTimeTo",
  "instanceIdPrefix",
  "showHistory",
  "showHistoryOutput",
  "showInput",
  "returnInternalServerErrorOnFailure",
  "reason",
  "op",
  "fetchState",
  "offset",
  "limit",
  "status",
  "search",
  "version",
  "restartWithNewInstanceId",
  "timeout",
  "taskHub",
  "connection",
  "x",
  "",
];

function query(random: SeededRandom, names: readonly string[] = QUERY_NAMES): string {
  if (random.chance(0.3)) return "";
  const parts: string[] = [];
  for (let i = random.int(1, 6); i > 0; i--) {
    const name = random.chance(0.85) ? random.pick(names) : encodeURIComponent(random.text(random.int(1, 8), PRINTABLE));
    parts.push(random.chance(0.1) ? name : `${name}=${queryValue(random, name)}`);
  }
  if (random.chance(0.05)) parts.push(`long=${random.text(4000, ALNUM)}`);
  return `?${parts.join(random.chance(0.1) ? "&&" : "&")}`;
}

/** Any JSON value, nested a little. */
function jsonValue(random: SeededRandom, depth = 0): unknown {
  switch (random.int(0, depth > 2 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([0, -1, 1e308, -1e-308, 2 ** 53 + 1, 3.14159]);
    case 3:
    case 4:
      return random.text(random.int(0, 40), `${PRINTABLE}äöü漢字🙂\u0000\n`);
    case 5:
      return Array.from({ length: random.int(0, 5) }, () => jsonValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: random.int(0, 5) }, () => [random.text(random.int(0, 8), PRINTABLE), jsonValue(random, depth + 1)]));
  }
}

const BROKEN_JSON = ["{", '{"a":', "[1,2", "undefined", "NaN", "'single'", '{"a":1}}', "\u0000\u0001", "}{", "tru", "\ufeff{}", "1 2", '"unterminated'];

function body(random: SeededRandom): string | Buffer | undefined {
  switch (random.int(0, 5)) {
    case 0:
      return undefined;
    case 1:
      return random.pick(BROKEN_JSON);
    case 2:
      return random.bytes(random.int(0, random.chance(0.1) ? 256 * 1024 : 4096));
    case 3:
      return "";
    default:
      return JSON.stringify(jsonValue(random));
  }
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "MKCOL", "PURGE", "SEARCH"];

/** Headers a hostile client adds; some of them make the host refuse the request (421, 403, 417). */
function hostileHeaders(random: SeededRandom, port: number, method: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (random.chance(0.12)) {
    // (No empty Host here: Node's client replaces it with the real one. The raw cases send requests without one.)
    headers.Host = random.pick([
      "evil.example",
      `127.0.0.1:${port + 1}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1:${port}@evil.example`,
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
    ]);
  }
  if (random.chance(0.12))
    headers.Origin = random.pick([
      "https://evil.example",
      "null",
      `http://127.0.0.1:${port}`,
      `http://localhost:${port + 1}`,
      "not a url",
      `http://127.0.0.1:${port}.evil.example`,
    ]);
  if (random.chance(0.2)) headers["x-custom"] = random.text(random.int(0, 200), PRINTABLE);
  if (random.chance(0.05)) headers["x-latin1"] = random.text(random.int(1, 20), "\u00e4\u00f6\u00fc\u00df\u00ff\u0080");
  if (random.chance(0.15))
    headers["content-type"] = random.pick([
      "application/json",
      "text/plain",
      "application/octet-stream",
      "multipart/form-data; boundary=x",
      "application/x-www-form-urlencoded",
      "garbage/;;;",
      "",
    ]);
  if (random.chance(0.05)) headers.cookie = `c=${random.text(8000, ALNUM)}`;
  if (random.chance(0.08))
    headers["x-ms-continuation-token"] = random.pick([
      random.text(random.int(1, 40), ALNUM),
      Buffer.from(JSON.stringify(jsonValue(random))).toString("base64url"),
      Buffer.from(JSON.stringify(["2026-01-01T00:00:00.000Z", "a"])).toString("base64url"),
    ]);
  if (random.chance(0.03)) headers.expect = "bogus-expectation";
  if (random.chance(0.05)) headers.connection = "close";
  if (random.chance(0.03)) Object.assign(headers, { connection: "Upgrade", upgrade: "websocket" });
  if (random.chance(0.03)) headers["content-encoding"] = "gzip";
  if (random.chance(0.03)) for (let i = 0; i < 100; i++) headers[`x-many-${i}`] = String(i);
  if (method === "HEAD" || method === "GET") delete headers["content-encoding"];
  return headers;
}

/** Requests to an app route that must not reach its handler: a method it does not take, a foreign Host or Origin. */
function refusedAppRequest(random: SeededRandom, port: number, path: string, allowed: readonly string[]): HttpCase {
  const refusal = random.int(0, 2);
  if (refusal === 0) {
    const method = random.pick(METHODS.filter((m) => !allowed.includes(m)));
    return { family: "app", method, path, headers: hostileHeaders(random, port, method), body: body(random) };
  }
  if (refusal === 1)
    return {
      family: "app",
      method: random.pick(allowed),
      path,
      headers: { Host: random.pick(["evil.example", `127.0.0.1:${port + 1}`, `localhost:${port + 1}`]) },
      body: body(random),
    };
  return { family: "app", method: "POST", path, headers: { Origin: random.pick(["https://evil.example", "null"]) }, body: body(random) };
}

function appCase(random: SeededRandom, targets: FuzzTargets): HttpCase {
  const { port } = targets;
  const prefix = random.pick(["/api", "/api", "/api", "/API", "/Api"]);
  switch (random.int(0, 9)) {
    case 0:
    case 1:
    case 2: {
      // echo takes any body, query and headers: the whole request reaches the app.
      const id = random.pick(["1", "42", "-7", "007", "9".repeat(25), "1.5", "x", "%31", "0x1"]);
      const rest = random.chance(0.6) ? `/${segment(random)}` : random.chance(0.2) ? `/${segment(random)}/${segment(random)}` : "";
      const path = `${prefix}/${random.pick(["echo", "ECHO", "Echo"])}/${id}${rest}${random.chance(0.1) ? "/" : ""}${query(random, ["x", "y", "", "a[]", "__proto__", "constructor"])}`;
      const method = random.chance(0.8) ? random.pick(["GET", "POST", "PUT"]) : random.pick(METHODS);
      return {
        family: "app",
        method,
        path,
        headers: hostileHeaders(random, port, method),
        body: method === "GET" || method === "HEAD" ? undefined : body(random),
      };
    }
    case 3:
      return refusedAppRequest(random, port, `${prefix}/orchestrators/${random.pick(ORCHESTRATORS)}`, ["GET", "POST"]);
    case 4:
      return refusedAppRequest(random, port, `${prefix}/wait/${random.pick(ORCHESTRATORS)}?timeoutMs=100`, ["GET", "POST"]);
    case 5:
      return refusedAppRequest(random, port, `${prefix}/throws`, ["GET"]);
    case 6: {
      // Client operations through the real durable client and the app's endpoint. getStatus throws for an unknown
      // id (durable-functions v3, as in Azure), so it asks about the live instance only.
      const operation = random.pick(["getStatus", "createHttpManagementPayload", "nope", segment(random)]);
      const id = operation === "getStatus" || random.chance(0.2) ? targets.liveInstanceId : random.text(random.int(1, 30), `${ALNUM}-_.~`);
      const args = random.chance(0.5)
        ? JSON.stringify({ showHistory: random.chance(0.5), showHistoryOutput: random.chance(0.5), showInput: random.chance(0.5) })
        : random.pick(BROKEN_JSON);
      return { family: "app", method: "POST", path: `${prefix}/client/${operation}/${id}`, headers: {}, body: args };
    }
    case 7:
      if (random.chance(0.15)) {
        // A real start through the classic starter, with any JSON input.
        return { family: "app", method: "POST", path: `${prefix}/orchestrators/helloSequence`, headers: {}, body: JSON.stringify(jsonValue(random)) };
      }
      return refusedAppRequest(random, port, `${prefix}/client/getStatus/x`, ["POST"]);
    default: {
      const path = `${prefix}/${Array.from({ length: random.int(0, 4) }, () => segment(random)).join(random.chance(0.1) ? "//" : "/")}${query(random)}`;
      const method = random.pick(METHODS);
      return { family: "app", method, path, headers: hostileHeaders(random, port, method), body: body(random) };
    }
  }
}

function instanceId(random: SeededRandom, targets: FuzzTargets): string {
  return random.chance(0.3) ? targets.liveInstanceId : segment(random);
}

function managementCase(random: SeededRandom, targets: FuzzTargets): HttpCase {
  const { port } = targets;
  const base = random.chance(0.95) ? WEBHOOK : random.pick([WEBHOOK.toUpperCase(), `${WEBHOOK}/`, `${WEBHOOK}//`]);
  let method = random.pick(["GET", "POST", "DELETE"]);
  let path: string;
  let payload = body(random);
  switch (random.int(0, 8)) {
    case 0:
      path = "/instances";
      if (method === "POST") method = random.pick(["GET", "PUT"]);
      break;
    case 1: {
      // Never purge the live instance: as in Azure, a purge deletes an instance whatever its status.
      const id = method === "DELETE" ? segment(random) : instanceId(random, targets);
      path = `/instances/${id}`;
      break;
    }
    case 2: {
      const event = random.pick(["approval", "go", "", segment(random), "%zz"]);
      path = `/instances/${instanceId(random, targets)}/raiseEvent/${event === "never" ? "not-never" : event}`;
      method = random.chance(0.85) ? "POST" : random.pick(METHODS);
      break;
    }
    case 3: {
      // Actions on the live instance that would change it are sent to other ids only.
      const action = random.pick(["terminate", "suspend", "resume", "rewind", "restart", "frobnicate", segment(random)]);
      const harmless = action === "resume" || action === "rewind" || action === "frobnicate";
      path = `/instances/${harmless ? instanceId(random, targets) : segment(random)}/${action}`;
      method = random.chance(0.85) ? "POST" : random.pick(METHODS);
      break;
    }
    case 4: {
      const name = random.chance(0.6) ? segment(random) : random.pick(ORCHESTRATORS);
      const known = ORCHESTRATORS.includes(name);
      path = `/orchestrators/${name}${random.chance(0.3) ? `/${random.chance(0.3) ? targets.liveInstanceId : segment(random)}` : ""}`;
      method = random.chance(0.85) ? "POST" : random.pick(METHODS);
      // Known orchestrators start for real only now and then, with a broken body most of the time.
      if (known && random.chance(0.7)) payload = random.pick(BROKEN_JSON);
      break;
    }
    case 5:
      path = `/${Array.from({ length: random.int(0, 5) }, () => segment(random)).join("/")}`;
      method = random.pick(METHODS);
      break;
    default:
      return entitiesCase(random, targets);
  }
  if (method === "GET" || method === "HEAD") payload = undefined;
  let search = query(random);
  // A purge by filter deletes every instance created since createdTimeFrom, the live one included (as in Azure):
  // the fuzz's purges name a time to come, or none (which Azure refuses).
  if (method === "DELETE" && path === "/instances") {
    search = search.replace(/(^\?|&)createdTimeFrom=[^&]*/gi, "$1");
    if (random.chance(0.5)) search = `${search || "?"}${search.length > 1 ? "&" : ""}createdTimeFrom=2999-01-01T00:00:00Z`;
  }
  return { family: "management", method, path: `${base}${path}${search}`, headers: hostileHeaders(random, port, method), body: payload };
}

function entitiesCase(random: SeededRandom, targets: FuzzTargets): HttpCase {
  const name = random.pick(["counter", "aggregator", "COUNTER", segment(random)]);
  const key = random.chance(0.5) ? "fuzz" : segment(random);
  const shape = random.int(0, 3);
  const path =
    shape === 0 ? "/entities" : shape === 1 ? `/entities/${name}` : shape === 2 ? `/entities/${name}/${key}` : `/entities/${name}/${key}/${segment(random)}`;
  const method = random.chance(0.8) ? random.pick(["GET", "POST"]) : random.pick(METHODS);
  const op = random.chance(0.7) ? `op=${random.pick(["add", "get", "reset", "record", "unknownOp", "", segment(random)])}` : "";
  const payload = method === "GET" || method === "HEAD" ? undefined : random.chance(0.6) ? String(random.int(-5, 5)) : body(random);
  return {
    family: "entities",
    method,
    path: `${WEBHOOK}${path}?${op}${random.chance(0.3) ? "&fetchState=true" : ""}`,
    headers: hostileHeaders(random, targets.port, method),
    body: payload,
  };
}

function dashboardCase(random: SeededRandom, targets: FuzzTargets): HttpCase {
  const method = random.chance(0.85) ? random.pick(["GET", "HEAD"]) : random.pick(METHODS);
  let path: string;
  switch (random.int(0, 5)) {
    case 0:
      path = random.pick([
        "/_durable",
        "/_durable/",
        "/_durable/index.html",
        "/_durable/app.js",
        "/_durable/app.js.map",
        "/_durable/styles.css",
        "/_durable/../../etc/passwd",
        "/_durable/%2e%2e/%2e%2e/etc/passwd",
        "/_durable/.%2e/x",
        "/_DURABLE/",
      ]);
      break;
    case 1:
      path = `/_durable/${segment(random)}`;
      break;
    case 2:
      path = `/_durable/api/instances${query(random, ["offset", "limit", "status", "search", "x"])}`;
      break;
    case 3:
      path = `/_durable/api/instances/${instanceId(random, targets)}/history${query(random)}`;
      break;
    case 4:
      path = random.pick(["/_durable/api/info", "/_durable/api/", "/_durable/api/nothing", `/_durable/api/instances/${segment(random)}`]);
      break;
    default:
      path = `/_durable/api/${Array.from({ length: random.int(1, 4) }, () => segment(random)).join("/")}`;
  }
  return {
    family: "dashboard",
    method,
    path,
    headers: hostileHeaders(random, targets.port, method),
    body: method === "GET" || method === "HEAD" ? undefined : body(random),
  };
}

function unknownCase(random: SeededRandom, targets: FuzzTargets): HttpCase {
  const path = random.pick([
    `/${segment(random)}`,
    "/",
    "/favicon.ico",
    "/runtime/webhooks",
    "/runtime/webhooks/durabletaskX/instances",
    `/runtime/webhooks/${segment(random)}`,
    `/_durable-client/${segment(random)}/instances`,
    "/_durable-client",
    `/${Array.from({ length: random.int(2, 8) }, () => segment(random)).join("/")}`,
    "//",
    "/./",
    `/${"a/".repeat(random.int(50, 300))}`,
  ]);
  const method = random.pick(METHODS);
  return {
    family: "unknown",
    method,
    path: `${path}${query(random)}`,
    headers: hostileHeaders(random, targets.port, method),
    body: method === "GET" || method === "HEAD" ? undefined : body(random),
  };
}

export function httpCases(random: SeededRandom, targets: FuzzTargets, count: number): HttpCase[] {
  const makers = [appCase, appCase, managementCase, managementCase, entitiesCase, dashboardCase, unknownCase];
  return Array.from({ length: count }, () => random.pick(makers)(random, targets));
}

function requestHead(random: SeededRandom, port: number, method = "GET", path = "/_durable/api/info"): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`;
}

/** The raw-socket cases: each must get an HTTP status line before the server closes the connection. */
export function rawCases(random: SeededRandom, targets: FuzzTargets, count: number, slowCount: number): RawCase[] {
  const { port } = targets;
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const anyPath = () => random.pick(["/", "/api/echo/1", `${WEBHOOK}/instances`, `${WEBHOOK}/orchestrators/helloSequence`, "/_durable/api/info", "/_durable/"]);
  const makers: (() => RawCase)[] = [
    () => ({
      kind: "bad request line",
      chunks: [
        random.pick([
          "GET\r\n\r\n",
          "GET /\r\n\r\n",
          `GET / HTTP/1.1 extra\r\n${host}\r\n`,
          `GET / HTTP/2.0\r\n${host}\r\n`,
          `GET / HTTP/9.9\r\n${host}\r\n`,
          `GET / HTTX/1.1\r\n${host}\r\n`,
          `get / HTTP/1.1\r\n${host}\r\n`,
          `GET  /  HTTP/1.1\r\n${host}\r\n`,
          `GET\t/\tHTTP/1.1\r\n${host}\r\n`,
          `GET /a\u0000b HTTP/1.1\r\n${host}\r\n`,
          `GET /a b HTTP/1.1\r\n${host}\r\n`,
          `GET /${"x".repeat(20_000)} HTTP/1.1\r\n${host}\r\n`,
          " GET / HTTP/1.1\r\n\r\n",
          "HTTP/1.1 200 OK\r\n\r\n",
          "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
          "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
          `OPTIONS * HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          `GET http://evil.example/_durable/api/info HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          `GET http://127.0.0.1:${port}/_durable/api/info HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          `GET https://127.0.0.1:${port}/ HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
          `GET ${random.text(random.int(1, 40), PRINTABLE.replace(" ", ""))} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
        ]),
      ],
      slow: false,
    }),
    () => ({
      kind: "unknown method",
      chunks: [`${random.text(random.int(1, 12), "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-")} ${anyPath()} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`],
      slow: false,
    }),
    () => {
      const big = random.chance(0.5)
        ? `X-Big: ${random.text(random.int(17_000, 64_000), ALNUM)}\r\n`
        : Array.from({ length: random.int(400, 1500) }, (_, i) => `X-H${i}: ${random.text(40, ALNUM)}\r\n`).join("");
      return { kind: "headers over 16 KB", chunks: [`${requestHead(random, port, "GET", anyPath())}${big}\r\n`], slow: false };
    },
    () => ({
      kind: "bad Content-Length",
      chunks: [
        `${requestHead(random, port, "POST", anyPath())}Content-Length: ${random.pick(["abc", "-1", "1.5", "1 2", "0x10", "99999999999999999999999", "", "+5"])}\r\n\r\n{}`,
      ],
      slow: false,
    }),
    () => ({
      kind: "two Content-Lengths",
      chunks: [`${requestHead(random, port, "POST", anyPath())}Content-Length: 2\r\nContent-Length: ${random.int(3, 9)}\r\n\r\n{}`],
      slow: false,
    }),
    () => ({
      kind: "Content-Length with Transfer-Encoding",
      chunks: [`${requestHead(random, port, "POST", anyPath())}Content-Length: ${random.int(0, 10)}\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
      slow: false,
    }),
    () => ({
      kind: "bad chunked encoding",
      chunks: [
        `${requestHead(random, port, "POST", anyPath())}Transfer-Encoding: ${random.pick(["chunked", "chunked", "gzip, chunked", "chunked, chunked", "Chunked"])}\r\n\r\n` +
          random.pick([
            "zz\r\nabc\r\n0\r\n\r\n",
            "5\r\nab\r\nxyz\r\n",
            "FFFFFFFFFFFFFFFFFFFF\r\nx\r\n",
            "3\r\nabcX\r\n0\r\n\r\n",
            "-1\r\n\r\n",
            "3;ext=\u0000\r\nabc\r\n0\r\n\r\n",
            "0\r\nBad Trailer\r\n\r\n",
            `3;${"e".repeat(20_000)}\r\nabc\r\n0\r\n\r\n`,
          ]),
      ],
      slow: false,
    }),
    () => ({
      kind: "bad header line",
      chunks: [
        `${requestHead(random, port)}${random.pick(["NoColon\r\n", " Leading: space\r\n", "Bad Name: x\r\n", ": empty\r\n", "X-Nul: a\u0000b\r\n", "X-Fold: a\r\n folded\r\n", "X-CR: a\rb\r\n", "Host: second.example\r\n"])}Connection: close\r\n\r\n`,
      ],
      slow: false,
    }),
    () => ({ kind: "random bytes", chunks: [random.bytes(random.int(1, 2048))], slow: false }),
    () => ({
      kind: "random bytes after a request head",
      chunks: [`${requestHead(random, port, "POST", anyPath())}`, random.bytes(random.int(1, 512))],
      slow: false,
    }),
    () => ({
      kind: "pipelined, then garbage",
      chunks: [
        `${requestHead(random, port)}\r\n${requestHead(random, port, "GET", `${WEBHOOK}/instances?top=1`)}\r\n${random.pick(["GARBAGE\r\n\r\n", random.bytes(64).toString("latin1")])}`,
      ],
      slow: false,
    }),
    () => ({
      kind: "declared body far over the cap",
      chunks: [
        `${requestHead(random, port, "POST", `${WEBHOOK}/orchestrators/helloSequence`)}Content-Length: ${random.pick(["104857601", "99999999999", "9007199254740993"])}\r\nConnection: close\r\n\r\n{`,
      ],
      slow: false,
    }),
  ];
  const slowMakers: (() => RawCase)[] = [
    () => ({ kind: "slow: partial request line", chunks: [random.pick(["G", "GET /api/ec", "POST /runtime/webhooks/durabletask/orch"])], slow: true }),
    () => ({ kind: "slow: partial headers", chunks: [`${requestHead(random, port, "GET", anyPath())}X-Slow: ${random.text(10, ALNUM)}`], slow: true }),
    () => ({
      kind: "slow: partial body",
      chunks: [
        `${requestHead(random, port, "POST", random.pick(["/api/echo/1", `${WEBHOOK}/orchestrators/helloSequence`, `${WEBHOOK}/instances/${targets.liveInstanceId}/raiseEvent/x`]))}Content-Length: 1000\r\n\r\n{"partial":`,
      ],
      slow: true,
    }),
    () => ({
      kind: "slow: partial chunked body",
      chunks: [`${requestHead(random, port, "POST", "/api/echo/1")}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`],
      slow: true,
    }),
    () => ({ kind: "slow: connected, silent", chunks: [], slow: true }),
  ];
  return [...Array.from({ length: count - slowCount }, () => random.pick(makers)()), ...Array.from({ length: slowCount }, () => random.pick(slowMakers)())];
}
