/**
 * A typed, realistic Durable Functions app for the language server's benchmark: a TypeScript project (tsconfig, strict)
 * with models and interfaces, shared helpers that import each other, a pricing class, activities using node built-ins,
 * entities, HTTP starters on @azure/functions, and many orchestrators spread over domain folders that call activities,
 * sub-orchestrators, entities, timers and events, and helpers across files; a few of those helpers have the bugs the
 * checker looks for (a clock read, a random id, process.env, console.log). One orchestrator file is big: a single long
 * orchestrator with local helpers. Sized by parameters; written under os.tmpdir() with a node_modules of its own that
 * links the real durable-functions, @azure/functions and @types/node of this project, so its imports resolve.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface TypedAppOptions {
  /** Orchestrators besides the big one. */
  orchestrators: number;
  /** Lines of the whole app (src/), roughly. */
  totalLines: number;
  /** Lines of the big orchestrator's file, roughly. */
  bigOrchestratorLines: number;
  /** The big orchestrator: phases delegated to generator functions (default), or one function of the whole length. */
  bigOrchestratorShape?: "phased" | "single";
  /** Where to write it (default: a new folder under os.tmpdir()). */
  dir?: string;
}

export interface TypedApp {
  dir: string;
  /** Every file written under src/, by path relative to dir. */
  files: Map<string, string>;
  lines: number;
  orchestrators: number;
  /** The big orchestrator's file and its registered name. */
  big: { file: string; name: string; lines: number };
  /** A helper file the big orchestrator reaches, and a function in it that it calls. */
  helper: { file: string; functionName: string };
  /** An activities file, and one of the activity names it registers (called by the big orchestrator). */
  activities: { file: string; name: string };
}

const DOMAINS = [
  "order",
  "payment",
  "shipping",
  "inventory",
  "customer",
  "invoice",
  "refund",
  "subscription",
  "notification",
  "loyalty",
  "catalog",
  "fraud",
  "warehouse",
  "supplier",
  "report",
  "audit",
  "pricing",
  "returns",
  "booking",
  "claims",
];
const VARIANTS = ["process", "reconcile", "retry", "bulk", "approve", "escalate", "archive", "sync"];
const ACTIVITY_VERBS = ["load", "validate", "reserve", "charge", "notify", "persist", "score", "publish"];

const pascal = (s: string) => s[0].toUpperCase() + s.slice(1);
const lineCount = (text: string) => text.split("\n").length - 1;

/** The project's node_modules, two folders up from dist/bench/ or one up from bench/. */
function projectNodeModules(): string {
  for (const candidate of [path.resolve(__dirname, "..", "..", "node_modules"), path.resolve(__dirname, "..", "node_modules")]) {
    if (fs.existsSync(path.join(candidate, "durable-functions"))) return candidate;
  }
  throw new Error("cannot find this project's node_modules with durable-functions");
}

function commonModels(): string {
  return `/** Shared value types. */
export type Currency = "EUR" | "USD" | "GBP";

export interface Money {
  amount: number;
  currency: Currency;
}

export interface Address {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface AuditStamp {
  createdBy: string;
  createdAt: string;
  updatedBy?: string;
  updatedAt?: string;
}

export interface Paged<T> {
  items: T[];
  continuationToken?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string; retryable: boolean };

export interface StepOutcome {
  step: number;
  ok: boolean;
  quantity: number;
  reason?: string;
  total: Money;
}

export interface ApprovalEvent {
  approved: boolean;
  by: string;
  comment?: string;
}
`;
}

function domainModel(domain: string, fields: number): string {
  const D = pascal(domain);
  const extra = Array.from(
    { length: fields },
    (_, i) => `  ${domain}Field${i}${i % 3 === 0 ? "?" : ""}: ${["string", "number", "boolean", "string[]", "Money"][i % 5]};`,
  ).join("\n");
  return `import type { Address, AuditStamp, Money, StepOutcome } from "./common";

export enum ${D}Status {
  Pending = "pending",
  Active = "active",
  Failed = "failed",
  Done = "done",
}

export interface ${D}Line {
  sku: string;
  quantity: number;
  unitPrice: Money;
  tags: string[];
}

export interface ${D}Record {
  id: string;
  customerId: string;
  status: ${D}Status;
  amount: Money;
  lines: ${D}Line[];
  address?: Address;
  audit: AuditStamp;
  attempts: number;
${extra}
}

export interface ${D}StepInput {
  recordId: string;
  step: number;
  attempt: number;
  region: string;
  lines: ${D}Line[];
  payload: Record<string, unknown>;
}

export interface ${D}StepResult extends StepOutcome {
  recordId: string;
  warnings: string[];
}

export type ${D}Event = { kind: "approved"; by: string } | { kind: "rejected"; reason: string } | { kind: "expired" };
`;
}

function sharedFiles(): Record<string, string> {
  return {
    "src/shared/money.ts": `import type { Currency, Money } from "../models/common";

export function zeroMoney(currency: Currency = "EUR"): Money {
  return { amount: 0, currency };
}

export function roundCurrency(amount: number): number {
  return Math.round(amount * 100) / 100;
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new Error(\`cannot add \${a.currency} to \${b.currency}\`);
  return { amount: roundCurrency(a.amount + b.amount), currency: a.currency };
}

export function multiplyMoney(a: Money, factor: number): Money {
  return { amount: roundCurrency(a.amount * factor), currency: a.currency };
}

export function formatMoney(money: Money): string {
  return \`\${money.amount.toFixed(2)} \${money.currency}\`;
}

export function sumMoney(values: Money[], currency: Currency = "EUR"): Money {
  return values.reduce((total, value) => addMoney(total, value), zeroMoney(currency));
}
`,
    "src/shared/collections.ts": `export function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export function groupBy<T, K extends string>(items: T[], key: (item: T) => K): Record<K, T[]> {
  const groups = {} as Record<K, T[]>;
  for (const item of items) (groups[key(item)] ??= []).push(item);
  return groups;
}

export function sumBy<T>(items: T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

export function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => (seen.has(key(item)) ? false : (seen.add(key(item)), true)));
}
`,
    "src/shared/validation.ts": `import type { Address, Money } from "../models/common";
import { roundCurrency } from "./money";

export class ValidationError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

export function assertNonEmpty(value: string | undefined, field: string): string {
  if (!value || !value.trim()) throw new ValidationError(field, \`\${field} is required\`);
  return value.trim();
}

export function isValidSku(sku: string): boolean {
  return /^[A-Z]{3}-\\d{4,}$/.test(sku);
}

export function validateAddress(address: Address | undefined): string[] {
  const problems: string[] = [];
  if (!address) return ["address is missing"];
  if (!address.line1) problems.push("line1 is missing");
  if (!/^[A-Z]{2}$/.test(address.country)) problems.push("country must be an ISO code");
  return problems;
}

export function validateAmount(money: Money, max: number): boolean {
  return money.amount >= 0 && roundCurrency(money.amount) <= max;
}
`,
    "src/shared/format.ts": `import type { Money } from "../models/common";
import { formatMoney } from "./money";

export function describeStep(step: number, label: string): string {
  return \`step \${step.toString().padStart(3, "0")}: \${label}\`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? \`\${seconds}s\` : \`\${Math.floor(seconds / 60)}m \${seconds % 60}s\`;
}

export function summarise(label: string, total: Money, count: number): string {
  return \`\${label}: \${count} item(s), \${formatMoney(total)}\`;
}

export function padId(id: string, width = 12): string {
  return id.length >= width ? id : id.padEnd(width, "-");
}
`,
    "src/shared/ids.ts": `/** Ids for logs and correlation. */
export function correlationId(prefix: string): string {
  // A bug the checker finds when an orchestrator calls this: a clock read and a random number.
  return \`\${prefix}-\${Date.now().toString(36)}-\${Math.random().toString(36).slice(2, 8)}\`;
}

export function stableId(parts: string[]): string {
  return parts.map((part) => part.toLowerCase().replace(/[^a-z0-9]+/g, "-")).join(":");
}
`,
    "src/shared/config.ts": `export interface FeatureFlags {
  expressShipping: boolean;
  fraudChecks: boolean;
  region: string;
}

const DEFAULTS: FeatureFlags = { expressShipping: false, fraudChecks: true, region: "westeurope" };

export function featureEnabled(name: keyof FeatureFlags): boolean {
  // Another bug when reached from an orchestrator: the environment can differ between replays.
  const raw = process.env[\`FEATURE_\${String(name).toUpperCase()}\`];
  return raw === undefined ? Boolean(DEFAULTS[name]) : raw === "true";
}

export function defaults(): FeatureFlags {
  return { ...DEFAULTS };
}
`,
    "src/shared/logging.ts": `export function trace(message: string, details?: Record<string, unknown>): void {
  console.log(\`[trace] \${message}\`, details ?? {});
}

export function tag(name: string, value: string | number): string {
  return \`\${name}=\${value}\`;
}
`,
    "src/shared/retry.ts": `import * as df from "durable-functions";

export const standardRetry = new df.RetryOptions(1000, 3);

export function retryFor(kind: "fast" | "slow"): df.RetryOptions {
  const options = new df.RetryOptions(kind === "fast" ? 500 : 5000, kind === "fast" ? 5 : 3);
  options.backoffCoefficient = 2;
  return options;
}
`,
    "src/shared/pricing.ts": `import type { Money } from "../models/common";
import { addMoney, multiplyMoney, zeroMoney } from "./money";

export interface PriceRule {
  sku: string;
  discount: number;
}

export class PricingEngine {
  private readonly rules = new Map<string, PriceRule>();

  constructor(rules: PriceRule[]) {
    for (const rule of rules) this.rules.set(rule.sku, rule);
  }

  quote(lines: { sku: string; quantity: number; unitPrice: Money }[]): Money {
    let total = zeroMoney(lines[0]?.unitPrice.currency ?? "EUR");
    for (const line of lines) total = addMoney(total, this.linePrice(line.sku, multiplyMoney(line.unitPrice, line.quantity)));
    return total;
  }

  linePrice(sku: string, price: Money): Money {
    const rule = this.rules.get(sku);
    return rule ? multiplyMoney(price, 1 - rule.discount) : price;
  }
}
`,
  };
}

function activitiesFile(domain: string, verbs: string[], padding: number): string {
  const D = pascal(domain);
  const parts = [
    `import * as df from "durable-functions";`,
    `import type { InvocationContext } from "@azure/functions";`,
    `import { readFile } from "node:fs/promises";`,
    `import { createHash } from "node:crypto";`,
    `import * as path from "node:path";`,
    `import type { ${D}StepInput, ${D}StepResult } from "../models/${domain}";`,
    `import { sumMoney } from "../shared/money";`,
    ``,
    `const DATA_DIR = path.join(__dirname, "..", "..", "data");`,
    ``,
  ];
  for (const verb of verbs) {
    const name = `${domain}${pascal(verb)}`;
    parts.push(
      `df.app.activity("${name}", {`,
      `  handler: async (input: ${D}StepInput, context: InvocationContext): Promise<${D}StepResult> => {`,
      `    context.log(\`${name} \${input.recordId} step \${input.step}\`);`,
      `    const digest = createHash("sha256").update(JSON.stringify(input.payload)).digest("hex");`,
      `    const reference = await readFile(path.join(DATA_DIR, "${domain}.json"), "utf8").catch(() => "{}");`,
      `    const total = sumMoney(input.lines.map((line) => ({ amount: line.unitPrice.amount * line.quantity, currency: line.unitPrice.currency })));`,
      `    return { recordId: input.recordId, step: input.step, ok: digest.length > 0 && reference.length >= 0, quantity: input.lines.length, total, warnings: [] };`,
      `  },`,
      `});`,
      ``,
    );
  }
  for (let i = 0; i < padding; i++) {
    parts.push(
      `export function ${domain}Mapper${i}(input: ${D}StepInput): Record<string, unknown> {`,
      `  const keys = Object.keys(input.payload).sort();`,
      `  const result: Record<string, unknown> = { recordId: input.recordId, region: input.region };`,
      `  for (const key of keys) result[\`${domain}_${i}_\${key}\`] = input.payload[key];`,
      `  return result;`,
      `}`,
      ``,
    );
  }
  return parts.join("\n");
}

function entityFile(domain: string): string {
  const D = pascal(domain);
  return `import * as df from "durable-functions";
import type { EntityContext } from "durable-functions";

export interface ${D}Tally {
  count: number;
  lastRecordId?: string;
}

df.app.entity("${domain}Tally", (context: EntityContext<${D}Tally>) => {
  const state = context.df.getState(() => ({ count: 0 })) ?? { count: 0 };
  switch (context.df.operationName) {
    case "add":
      context.df.setState({ count: state.count + 1, lastRecordId: context.df.getInput<string>() });
      break;
    case "reset":
      context.df.setState({ count: 0 });
      break;
    default:
      context.df.return(state);
  }
});
`;
}

function stepsFile(domain: string, helpers: number): string {
  const D = pascal(domain);
  const parts = [
    `import type { Money } from "../../models/common";`,
    `import { ${D}Status, type ${D}Line, type ${D}Record, type ${D}StepInput, type ${D}StepResult } from "../../models/${domain}";`,
    `import { addMoney, multiplyMoney, zeroMoney } from "../../shared/money";`,
    `import { describeStep, summarise } from "../../shared/format";`,
    `import { chunk, sumBy } from "../../shared/collections";`,
    `import { isValidSku } from "../../shared/validation";`,
    ``,
    `export function build${D}Input(record: ${D}Record, step: number, region = "westeurope"): ${D}StepInput {`,
    `  return { recordId: record.id, step, attempt: record.attempts, region, lines: record.lines.filter((line) => isValidSku(line.sku)), payload: { status: record.status } };`,
    `}`,
    ``,
    `export function ${domain}Batches(record: ${D}Record, size: number): ${D}Line[][] {`,
    `  return chunk(record.lines, size);`,
    `}`,
    ``,
    `export function next${D}Status(results: ${D}StepResult[]): ${D}Status {`,
    `  if (results.some((result) => !result.ok)) return ${D}Status.Failed;`,
    `  return results.length ? ${D}Status.Done : ${D}Status.Pending;`,
    `}`,
    ``,
    `export function summarise${D}(results: ${D}StepResult[]): string {`,
    `  const total = results.reduce((sum: Money, result) => addMoney(sum, result.total), zeroMoney());`,
    `  return summarise("${domain}", total, sumBy(results, (result) => result.quantity));`,
    `}`,
    ``,
  ];
  for (let i = 0; i < helpers; i++) {
    parts.push(
      `export function ${domain}Adjust${i}(total: Money, result: ${D}StepResult): Money {`,
      `  const factor = result.ok ? 1 + ${(i % 7) + 1} / 100 : 1;`,
      `  if (result.warnings.length > ${i % 4}) {`,
      `    return multiplyMoney(total, factor / 2);`,
      `  }`,
      `  const label = describeStep(result.step, "${domain} adjustment ${i}");`,
      `  return label.length > 0 ? addMoney(total, multiplyMoney(result.total, factor - 1)) : total;`,
      `}`,
      ``,
    );
  }
  return parts.join("\n");
}

/** One orchestrator step: a block of ~8-14 lines of the kinds real orchestrators are made of. */
function stepBlock(domain: string, i: number, options: { verbs: string[]; adjusters: number; subOrchestrations: string[]; local?: string }): string[] {
  const D = pascal(domain);
  const verb = options.verbs[i % options.verbs.length];
  const activity = `${domain}${pascal(verb)}`;
  const adjust = `${domain}Adjust${Math.floor(i / 6) % Math.max(1, options.adjusters)}`;
  switch (i % 6) {
    case 0:
      return [
        `  // ${describe(i)}: ${verb}`,
        `  const input${i}: ${D}StepInput = build${D}Input(record, ${i});`,
        `  const result${i}: ${D}StepResult = yield context.df.callActivity("${activity}", input${i});`,
        `  results.push(result${i});`,
        `  if (!result${i}.ok) {`,
        `    context.log(\`${domain} step ${i} failed: \${result${i}.reason ?? "unknown"}\`);`,
        `    failures += 1;`,
        `  } else {`,
        `    total = ${options.local ? `${options.local}(total, result${i})` : `${adjust}(total, result${i})`};`,
        `  }`,
      ];
    case 1:
      return [
        `  // ${describe(i)}: fan out ${verb} over the batches`,
        `  const tasks${i} = ${domain}Batches(record, ${(i % 5) + 2}).map((lines, batch) => context.df.callActivity("${activity}", { ...build${D}Input(record, ${i}), lines, payload: { batch } }));`,
        `  const batch${i}: ${D}StepResult[] = yield context.df.Task.all(tasks${i});`,
        `  for (const result of batch${i}) {`,
        `    results.push(result);`,
        `    total = ${adjust}(total, result);`,
        `  }`,
      ];
    case 2:
      return [
        `  // ${describe(i)}: ${verb} with retries`,
        `  const retried${i}: ${D}StepResult = yield context.df.callActivityWithRetry("${activity}", retryFor("${i % 2 ? "fast" : "slow"}"), build${D}Input(record, ${i}, "northeurope"));`,
        `  if (retried${i}.warnings.length) context.df.setCustomStatus({ step: ${i}, warnings: retried${i}.warnings.length });`,
        `  results.push(retried${i});`,
      ];
    case 3:
      return options.subOrchestrations.length
        ? [
            `  // ${describe(i)}: hand over to a sub-orchestration`,
            `  const child${i}: ${D}StepResult = yield context.df.callSubOrchestrator("${options.subOrchestrations[i % options.subOrchestrations.length]}", build${D}Input(record, ${i}), \`\${context.df.instanceId}:${i}\`);`,
            `  results.push(child${i});`,
            `  yield context.df.callEntity(new df.EntityId("${domain}Tally", record.id), "add", record.id);`,
          ]
        : [`  // ${describe(i)}: count it`, `  yield context.df.callEntity(new df.EntityId("${domain}Tally", record.id), "add", record.id);`];
    case 4:
      return [
        `  // ${describe(i)}: wait for an approval, or time out`,
        `  const deadline${i} = new Date(context.df.currentUtcDateTime.getTime() + ${(i % 24) + 1} * 60 * 60 * 1000);`,
        `  const timer${i} = context.df.createTimer(deadline${i});`,
        `  const approval${i} = context.df.waitForExternalEvent("${domain}Approval${i % 3}");`,
        `  const winner${i} = yield context.df.Task.any([approval${i}, timer${i}]);`,
        `  if (winner${i} === approval${i}) {`,
        `    timer${i}.cancel();`,
        `    const event = approval${i}.result as ApprovalEvent;`,
        `    if (!event.approved) failures += 1;`,
        `  }`,
      ];
    default:
      return [
        `  // ${describe(i)}: bookkeeping`,
        `  if (!context.df.isReplaying) context.log(summarise${D}(results));`,
        `  record.status = next${D}Status(results);`,
        `  record.attempts += ${(i % 3) + 1};`,
      ];
  }
}

const describe = (i: number) => `Step ${i}`;

function orchestratorFile(
  domain: string,
  name: string,
  budget: number,
  options: { verbs: string[]; adjusters: number; subOrchestrations: string[]; bug?: "ids" | "config" | "logging"; inline: boolean },
): string {
  const D = pascal(domain);
  const head = [
    `import * as df from "durable-functions";`,
    `import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";`,
    `import type { ApprovalEvent, Money } from "../../models/common";`,
    `import type { ${D}Record, ${D}StepInput, ${D}StepResult } from "../../models/${domain}";`,
    `import { build${D}Input, ${domain}Batches, next${D}Status, summarise${D}, ${Array.from({ length: Math.min(options.adjusters, 6) }, (_, i) => `${domain}Adjust${i}`).join(", ")} } from "./steps";`,
    `import { retryFor } from "../../shared/retry";`,
    `import { zeroMoney } from "../../shared/money";`,
    options.bug === "ids"
      ? `import { correlationId } from "../../shared/ids";`
      : options.bug === "config"
        ? `import { featureEnabled } from "../../shared/config";`
        : options.bug === "logging"
          ? `import { trace } from "../../shared/logging";`
          : `import { PricingEngine } from "../../shared/pricing";`,
    ``,
    options.inline
      ? `df.app.orchestration("${name}", function* (context: OrchestrationContext) {`
      : `const ${name}: OrchestrationHandler = function* (context: OrchestrationContext) {`,
    `  const record = context.df.getInput() as ${D}Record;`,
    `  const results: ${D}StepResult[] = [];`,
    `  let total: Money = zeroMoney(record.amount.currency);`,
    `  let failures = 0;`,
    options.bug === "ids"
      ? `  const correlation = correlationId("${name}");`
      : options.bug === "config"
        ? `  const express = featureEnabled("expressShipping");`
        : options.bug === "logging"
          ? `  trace("${name} started", { id: record.id });`
          : `  const pricing = new PricingEngine([{ sku: "ABC-0001", discount: 0.1 }]);`,
    options.bug === "ids"
      ? `  context.df.setCustomStatus({ correlation });`
      : options.bug === "config"
        ? `  context.df.setCustomStatus({ express });`
        : options.bug === "logging"
          ? `  context.df.setCustomStatus({ traced: true });`
          : `  total = pricing.quote(record.lines);`,
  ];
  const tail = [
    `  record.status = next${D}Status(results);`,
    `  return { id: record.id, status: record.status, failures, total, summary: summarise${D}(results) };`,
    options.inline ? `});` : `};`,
    ...(options.inline ? [] : [``, `df.app.orchestration("${name}", ${name});`]),
    ``,
  ];
  const body: string[] = [];
  const adjusters = Math.min(options.adjusters, 6);
  for (let i = 0; head.length + body.length + tail.length < budget; i++) body.push(...stepBlock(domain, i, { ...options, adjusters }));
  return [...head, ...body, ...tail].join("\n");
}

/**
 * The big one: a fulfilment pipeline in one file. "phased" (the default, as large orchestrators are usually written):
 * the orchestrator runs its own steps and delegates phases to generator functions (yield*), with typed local helpers;
 * "single": one orchestrator function of the whole length.
 */
function bigOrchestratorFile(
  name: string,
  budget: number,
  domain: string,
  verbs: string[],
  adjusters: number,
  subOrchestrations: string[],
  shape: "phased" | "single",
): string {
  const D = pascal(domain);
  const localHelpers = Math.max(4, Math.floor(budget / 90));
  const stepOptions = (i: number) => ({ verbs, adjusters: Math.min(adjusters, 6), subOrchestrations, local: `stageWeight${i % localHelpers}` });
  const head = [
    `import * as df from "durable-functions";`,
    `import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";`,
    `import type { ApprovalEvent, Money } from "../../models/common";`,
    `import type { ${D}Record, ${D}StepInput, ${D}StepResult } from "../../models/${domain}";`,
    `import { build${D}Input, ${domain}Batches, next${D}Status, summarise${D}, ${Array.from({ length: Math.min(adjusters, 6) }, (_, i) => `${domain}Adjust${i}`).join(", ")} } from "./steps";`,
    `import { addMoney, multiplyMoney, zeroMoney } from "../../shared/money";`,
    `import { retryFor } from "../../shared/retry";`,
    `import { correlationId } from "../../shared/ids";`,
    `import { describeStep } from "../../shared/format";`,
    `import { PricingEngine } from "../../shared/pricing";`,
    ``,
    `interface FulfilmentState {`,
    `  record: ${D}Record;`,
    `  results: ${D}StepResult[];`,
    `  total: Money;`,
    `  failures: number;`,
    `}`,
    ``,
    `interface PhaseOutcome {`,
    `  phase: string;`,
    `  ok: boolean;`,
    `  total: Money;`,
    `  steps: number;`,
    `}`,
    ``,
    `const PRICING = new PricingEngine([{ sku: "ABC-0001", discount: 0.05 }, { sku: "XYZ-0002", discount: 0.1 }]);`,
    ``,
  ];
  for (let h = 0; h < localHelpers; h++) {
    head.push(
      `function stageWeight${h}(total: Money, result: ${D}StepResult): Money {`,
      `  const weight = result.quantity > ${h % 9} ? ${(h % 5) + 1} : 1;`,
      `  const label = describeStep(result.step, "stage weight ${h}");`,
      `  if (!result.ok || label.length === 0) return total;`,
      `  return addMoney(total, multiplyMoney(result.total, weight / 100));`,
      `}`,
      ``,
    );
  }
  const mainHead = [
    `const ${name}: OrchestrationHandler = function* (context: OrchestrationContext) {`,
    `  const record = context.df.getInput() as ${D}Record;`,
    `  const results: ${D}StepResult[] = [];`,
    `  let total: Money = PRICING.quote(record.lines);`,
    `  let failures = 0;`,
    `  const correlation = correlationId("${name}");`,
    `  console.log(\`${name} \${record.id} \${correlation}\`);`,
    `  total = addMoney(total, zeroMoney(record.amount.currency));`,
  ];
  const tail = [
    `  record.status = next${D}Status(results);`,
    `  return { id: record.id, status: record.status, failures, total, summary: summarise${D}(results) };`,
    `};`,
    ``,
    `df.app.orchestration("${name}", ${name});`,
    ``,
  ];
  let step = 0;
  if (shape === "single") {
    const body: string[] = [];
    while (head.length + mainHead.length + body.length + tail.length < budget) body.push(...stepBlock(domain, step, stepOptions(step++)));
    return [...head, ...mainHead, ...body, ...tail].join("\n");
  }
  // The orchestrator's own steps (about 12% of the file), then the phases it delegates to, each ~180 lines.
  const mainSteps: string[] = [];
  while (mainSteps.length < budget * 0.12) mainSteps.push(...stepBlock(domain, step, stepOptions(step++)));
  const phaseBudget = Math.max(60, budget - head.length - mainHead.length - mainSteps.length - tail.length);
  const phaseCount = Math.max(1, Math.round(phaseBudget / 190));
  const phases: string[] = [];
  const calls: string[] = [`  const state: FulfilmentState = { record, results, total, failures };`, `  const outcomes: PhaseOutcome[] = [];`];
  for (let p = 0; p < phaseCount; p++) {
    const phaseName = `phase${p}${pascal(verbs[p % verbs.length])}`;
    const lines = [
      `function* ${phaseName}(context: OrchestrationContext, state: FulfilmentState): Generator<Task, PhaseOutcome, any> {`,
      `  const { record, results } = state;`,
      `  let total = state.total;`,
      `  let failures = 0;`,
    ];
    const firstStep = step;
    while (lines.length < phaseBudget / phaseCount - 5) lines.push(...stepBlock(domain, step, stepOptions(step++)));
    lines.push(
      `  state.total = total;`,
      `  state.failures += failures;`,
      `  return { phase: "${phaseName}", ok: failures === 0, total, steps: ${step - firstStep} };`,
      `}`,
      ``,
    );
    phases.push(...lines);
    calls.push(
      `  const outcome${p}: PhaseOutcome = yield* ${phaseName}(context, state);`,
      `  outcomes.push(outcome${p});`,
      `  if (!outcome${p}.ok) context.df.setCustomStatus({ phase: outcome${p}.phase, failures: state.failures });`,
    );
  }
  calls.push(`  total = state.total;`, `  failures += state.failures;`);
  return [...head, ...phases, ...mainHead, ...mainSteps, ...calls, ...tail].join("\n");
}

function startersFile(names: string[]): string {
  const parts = [
    `import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";`,
    `import * as df from "durable-functions";`,
    ``,
    `async function start(name: string, request: HttpRequest, client: df.DurableClient, context: InvocationContext): Promise<HttpResponseInit> {`,
    `  const input = (await request.json().catch(() => ({}))) as Record<string, unknown>;`,
    `  const instanceId = await client.startNew(name, { input });`,
    `  context.log(\`started \${name} as \${instanceId}\`);`,
    `  return client.createCheckStatusResponse(request, instanceId);`,
    `}`,
    ``,
  ];
  for (const name of names) {
    parts.push(
      `app.http("start-${name}", { route: "orchestrators/${name}", methods: ["POST"], extraInputs: [df.input.durableClient()], handler: (request, context) => start("${name}", request, df.getClient(context), context) });`,
    );
  }
  parts.push("");
  return parts.join("\n");
}

export function generateTypedApp(options: TypedAppOptions): TypedApp {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "dd-typed-app-"));
  const files = new Map<string, string>();
  const domainCount = Math.min(DOMAINS.length, Math.max(2, Math.ceil(options.orchestrators / 3)));
  const domains = DOMAINS.slice(0, domainCount);
  const perDomain = Math.ceil(options.orchestrators / domainCount);
  // What is not orchestrators: about 45% of the app in models, helpers and activities, scaled with its size.
  const supportBudget = Math.max(0, options.totalLines - options.bigOrchestratorLines) * 0.45;
  const perDomainSupport = supportBudget / domainCount;
  const modelFields = Math.max(4, Math.min(60, Math.floor(perDomainSupport / 12)));
  const adjusters = Math.max(3, Math.floor((perDomainSupport * 0.5) / 9));
  const mappers = Math.max(0, Math.floor((perDomainSupport * 0.3) / 7));

  files.set("src/models/common.ts", commonModels());
  for (const [file, text] of Object.entries(sharedFiles())) files.set(file, text);
  const names: { domain: string; name: string }[] = [];
  for (const domain of domains) {
    files.set(`src/models/${domain}.ts`, domainModel(domain, modelFields));
    files.set(`src/activities/${domain}-activities.ts`, activitiesFile(domain, ACTIVITY_VERBS, mappers));
    files.set(`src/entities/${domain}-tally.ts`, entityFile(domain));
    files.set(`src/orchestrators/${domain}/steps.ts`, stepsFile(domain, adjusters));
    for (let v = 0; v < perDomain && names.length < options.orchestrators; v++)
      names.push({ domain, name: `${domain}${pascal(VARIANTS[v % VARIANTS.length])}${v >= VARIANTS.length ? v : ""}` });
  }
  const used = [...files.values()].reduce((sum, text) => sum + lineCount(text), 0);
  const orchestratorBudget = Math.max(40, Math.floor((options.totalLines - options.bigOrchestratorLines - used) / Math.max(1, names.length)));
  const bugs = ["ids", "config", "logging", undefined, undefined, undefined, undefined] as const;
  names.forEach(({ domain, name }, index) => {
    // Sub-orchestrations: the next orchestrators of the same domain (no cycles).
    const subs = names
      .filter((other, j) => j > index && other.domain === domain)
      .map((other) => other.name)
      .slice(0, 2);
    files.set(
      `src/orchestrators/${domain}/${name}.ts`,
      orchestratorFile(domain, name, orchestratorBudget, {
        verbs: ACTIVITY_VERBS,
        adjusters,
        subOrchestrations: subs,
        bug: bugs[index % bugs.length],
        inline: index % 4 === 3,
      }),
    );
  });
  const bigDomain = domains[0];
  const bigName = `${bigDomain}MegaFulfilment`;
  const bigFile = `src/orchestrators/${bigDomain}/${bigName}.ts`;
  files.set(
    bigFile,
    bigOrchestratorFile(
      bigName,
      options.bigOrchestratorLines,
      bigDomain,
      ACTIVITY_VERBS,
      adjusters,
      names.filter((n) => n.domain === bigDomain).map((n) => n.name),
      options.bigOrchestratorShape ?? "phased",
    ),
  );
  files.set("src/functions/starters.ts", startersFile([...names.map((n) => n.name), bigName]));

  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify(
      {
        name: "typed-durable-app",
        version: "1.0.0",
        main: "dist/src/{functions,orchestrators,activities,entities}/**/*.js",
        dependencies: { "@azure/functions": "^4.0.0", "durable-functions": "^3.0.0" },
        devDependencies: { "@types/node": "^20.0.0", typescript: "^5.0.0" },
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(dir, "host.json"),
    JSON.stringify({ version: "2.0", extensionBundle: { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" } }, null, 2),
  );
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          module: "commonjs",
          target: "es2022",
          outDir: "dist",
          rootDir: ".",
          sourceMap: true,
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ["node"],
        },
        include: ["src/**/*.ts"],
      },
      null,
      2,
    ),
  );
  for (const [file, text] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  // node_modules: only what such an app installs (links to this project's copies), so @types holds just node.
  const modules = projectNodeModules();
  for (const pkg of ["durable-functions", "@azure/functions", "@types/node"]) {
    const link = path.join(dir, "node_modules", pkg);
    if (fs.existsSync(link)) continue;
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(modules, pkg), link, "dir");
  }
  const steps = `src/orchestrators/${bigDomain}/steps.ts`;
  return {
    dir,
    files,
    lines: [...files.values()].reduce((sum, text) => sum + lineCount(text), 0),
    orchestrators: names.length + 1,
    big: { file: bigFile, name: bigName, lines: lineCount(files.get(bigFile) as string) },
    helper: { file: steps, functionName: `${bigDomain}Adjust0` },
    activities: { file: `src/activities/${bigDomain}-activities.ts`, name: `${bigDomain}${pascal(ACTIVITY_VERBS[0])}` },
  };
}

/** `node dist/bench/typed-app.js [orchestrators] [totalLines] [bigLines]`: writes one and prints where. */
if (require.main === module) {
  const [orchestrators = 48, totalLines = 12000, bigOrchestratorLines = 3000] = process.argv.slice(2).map(Number);
  const app = generateTypedApp({ orchestrators, totalLines, bigOrchestratorLines });
  console.log(JSON.stringify({ dir: app.dir, lines: app.lines, orchestrators: app.orchestrators, big: app.big, helper: app.helper }, null, 2));
}
