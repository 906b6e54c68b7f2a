/**
 * The APIs that make an orchestrator nondeterministic, matched by origin (see origins.ts), not by text: the clock, random
 * numbers and ids, real timers, I/O, the environment, threads and logging, from the standard library, Node and the
 * packages people use for them (luxon, moment, dayjs, uuid, nanoid, lodash's random helpers, HTTP, database and Azure
 * SDK clients).
 */
import { memberOf, moduleOf, type Origin } from "./origins";

export type Hazard = "time" | "random" | "timer" | "io" | "env" | "thread" | "log";

export const HAZARD_CODE: Record<Hazard, string> = { time: "DD001", random: "DD002", timer: "DD003", io: "DD004", env: "DD005", thread: "DD013", log: "DD011" };

const TIME_GLOBALS = new Set(["Date.now", "performance.now", "process.hrtime", "process.hrtime.bigint", "process.uptime"]);
const TIME_MODULE_CALLS: Record<string, Set<string>> = {
  perf_hooks: new Set(["performance.now"]),
  luxon: new Set(["DateTime.now", "DateTime.local", "DateTime.utc"]),
  moment: new Set(["", "utc", "now"]),
  "moment-timezone": new Set(["", "utc", "now"]),
  dayjs: new Set(["", "utc"]),
};
/** These read the clock only when called with no arguments (`moment()` is now, `moment(x)` parses x). */
const TIME_WITHOUT_ARGUMENTS = new Set([
  "luxon|DateTime.local",
  "luxon|DateTime.utc",
  "moment|",
  "moment|utc",
  "moment-timezone|",
  "moment-timezone|utc",
  "dayjs|",
  "dayjs|utc",
]);

const CRYPTO_RANDOM = new Set([
  "randomUUID",
  "randomBytes",
  "getRandomValues",
  "randomInt",
  "randomFillSync",
  "randomFill",
  "webcrypto.getRandomValues",
  "webcrypto.randomUUID",
]);
const RANDOM_MODULE_CALLS: Record<string, (member: string) => boolean> = {
  crypto: (member) => CRYPTO_RANDOM.has(member),
  uuid: (member) => /^(v1|v4|v6|v7|default\.v[1467])$/.test(member) || member === "",
  "uuid/v4": () => true,
  "uuid/v1": () => true,
  nanoid: (member) => member === "nanoid" || member === "" || member === "customAlphabet()",
  ulid: (member) => member === "ulid" || member === "monotonicFactory()",
  cuid: () => true,
  "@paralleldrive/cuid2": (member) => member === "createId" || member === "init()",
  shortid: (member) => member === "" || member === "generate",
  randomstring: (member) => member === "generate",
  lodash: (member) => /^(random|shuffle|sample|sampleSize)$/.test(member),
  "lodash/random": () => true,
  "lodash/shuffle": () => true,
  "lodash/sample": () => true,
};

const TIMER_GLOBALS = new Set(["setTimeout", "setInterval", "setImmediate"]);
const IO_GLOBALS = new Set(["fetch", "XMLHttpRequest", "WebSocket", "EventSource"]);
const IO_MODULES = new Set([
  "fs",
  "fs/promises",
  "http",
  "https",
  "http2",
  "net",
  "tls",
  "dgram",
  "dns",
  "dns/promises",
  "child_process",
  "readline",
  "axios",
  "node-fetch",
  "got",
  "undici",
  "superagent",
  "request",
  "request-promise",
  "ky",
  "cross-fetch",
  "isomorphic-fetch",
  "graphql-request",
  "ws",
  "ssh2",
  "pg",
  "mysql",
  "mysql2",
  "mysql2/promise",
  "mongodb",
  "mongoose",
  "mssql",
  "tedious",
  "redis",
  "ioredis",
  "sqlite3",
  "better-sqlite3",
  "knex",
  "sequelize",
  "@prisma/client",
  "kafkajs",
  "amqplib",
  "mqtt",
  "@azure/storage-blob",
  "@azure/storage-queue",
  "@azure/storage-file-share",
  "@azure/data-tables",
  "@azure/cosmos",
  "@azure/service-bus",
  "@azure/event-hubs",
  "@azure/keyvault-secrets",
  "@azure/app-configuration",
  "@azure/identity",
  "@sendgrid/mail",
  "nodemailer",
  "twilio",
  "stripe",
  "openai",
]);
const IO_MODULE_PREFIXES = ["@aws-sdk/", "@google-cloud/"];
/** Client factories and constructors of SDK modules do no I/O themselves: the calls on what they return do. */
const SDK_FACTORY = /^(get\w*Client|from\w+|create\w*)$/;
const RETURNS_DATA = new Set(["fs", "fs/promises", "child_process", "dns", "dns/promises"]);
/** Where create* does I/O itself (createReadStream, createConnection). */
const CREATE_DOES_IO = new Set(["fs", "fs/promises", "net", "tls", "http", "https", "http2", "dgram", "child_process"]);
const THREAD_MODULES = new Set(["worker_threads", "cluster"]);
const ENV_READS = new Set(["process.env", "process.argv", "process.execArgv"]);

function isIoModule(module: string): boolean {
  return IO_MODULES.has(module) || IO_MODULE_PREFIXES.some((prefix) => module.startsWith(prefix));
}

function lastMember(member: string): string {
  const parts = member.split(".");
  return parts[parts.length - 1].replace(/\(\)$/, "");
}

/** What calling (or, with `isNew`, constructing) the value at `callee` does, if it is a hazard. */
export function hazardOfCall(callee: Origin, argumentCount: number, isNew: boolean): Hazard | undefined {
  const module = moduleOf(callee);
  if (module === undefined) {
    if (callee === "Date") return isNew ? (argumentCount === 0 ? "time" : undefined) : "time";
    if (TIME_GLOBALS.has(callee)) return "time";
    if (callee === "Math.random" || (callee.startsWith("crypto.") && CRYPTO_RANDOM.has(callee.slice("crypto.".length)))) return "random";
    if (TIMER_GLOBALS.has(callee)) return "timer";
    if (IO_GLOBALS.has(callee)) return isNew && callee === "XMLHttpRequest" ? undefined : "io";
    if (/^console\.\w+$/.test(callee)) return "log";
    if (callee === "process.cwd") return "env";
    return undefined;
  }
  const member = memberOf(callee);
  if (TIME_MODULE_CALLS[module]?.has(member) && (!TIME_WITHOUT_ARGUMENTS.has(`${module}|${member}`) || argumentCount === 0)) return "time";
  if (RANDOM_MODULE_CALLS[module]?.(member)) return "random";
  if (module === "timers/promises" || (module === "timers" && /^set/.test(member))) return "timer";
  // Starting threads or processes (a module member called), not the calls on what they return (worker.once(...)).
  if (THREAD_MODULES.has(module)) return member.includes("()") ? undefined : "thread";
  if (module === "os") return "env";
  if (module === "console" && /^(log|info|warn|error|debug|trace)$/.test(member)) return "log";
  // fs.readFileSync(...).split(...): what a file or process call returns is data; the calls on it do no I/O.
  if (RETURNS_DATA.has(module) && member.includes("()")) return undefined;
  if (
    isIoModule(module) &&
    !isNew &&
    member !== "" &&
    (!SDK_FACTORY.test(lastMember(member)) || (CREATE_DOES_IO.has(module) && /^create/.test(lastMember(member))))
  )
    return "io";
  if (isIoModule(module) && !isNew && member === "" && /^(node-fetch|got|axios|cross-fetch|isomorphic-fetch|ky|superagent|request)$/.test(module)) return "io";
  if (module === "ws" && isNew) return "io";
  return undefined;
}

/** Names whose value says which thread or process runs the code. */
export const THREAD_IDENTITY = new Set(["isMainThread", "threadId", "workerData", "parentPort", "isPrimary", "isMaster", "isWorker", "worker"]);

/** Reading the value at `origin` (not calling it) is a hazard: `process.env`, `cluster.isWorker`, `isMainThread`. */
export function hazardOfRead(origin: Origin): Hazard | undefined {
  if (ENV_READS.has(origin)) return "env";
  const module = moduleOf(origin);
  return module && THREAD_MODULES.has(module) && THREAD_IDENTITY.has(memberOf(origin)) ? "thread" : undefined;
}
