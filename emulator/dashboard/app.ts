/**
 * The dashboard page: instance list (status filters, search, paging), instance view (facts, actions, timeline,
 * history table, input/output), live updates over server-sent events. Plain DOM, no framework, no CDN.
 */
import { drawTimeline, spansOf, type HistoryEvent, type TimerCancellation } from "./timeline";
import { historyRows, pretty } from "./history-table";
import { sequenceDiagramSvg } from "./sequence-diagram";
import { EmulatorApiClient, EmulatorRequestError } from "../api/emulator-client";
import type { EngineWarning, InstanceAction, InstanceRecord as ContractRecord, InstanceWaits } from "../api/http-contract";

type InstanceRecord = Omit<ContractRecord, "timerCancellations"> & { timerCancellations?: TimerCancellation[] };

const STATUSES = ["All", "Running", "Pending", "Suspended", "Completed", "Failed", "Terminated"];
const PAGE_SIZE = 25;
// Relative to the page at <prefix>/_durable/, so a proxy's path prefix (code-server's /proxy/<port>/) is kept.
const API = "../runtime/webhooks/durabletask";
const client = new EmulatorApiClient("api", API);

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

const state = {
  status: "All",
  search: "",
  offset: 0,
  total: 0,
  selected: undefined as string | undefined,
  tab: "timeline",
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function shortTime(iso: string): string {
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 23)}`;
}

/** Time of day for today's instances, date and time otherwise. */
function clockTime(iso: string): string {
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? date.toISOString().slice(11, 23) : shortTime(iso);
}

// ------------------------------------------------------------------ list

function renderStatusFilters(): void {
  const group = $("#status-filters");
  group.replaceChildren(
    ...STATUSES.map((status) => {
      const button = el("button", { type: "button", "aria-pressed": String(state.status === status), "data-status": status }, status);
      button.addEventListener("click", () => {
        state.status = status;
        state.offset = 0;
        renderStatusFilters();
        void loadList();
      });
      return button;
    }),
  );
}

async function loadList(): Promise<void> {
  const page = await client.instancePage({
    offset: state.offset,
    limit: PAGE_SIZE,
    status: state.status === "All" ? undefined : (state.status as ContractRecord["runtimeStatus"]),
    search: state.search || undefined,
  });
  state.total = page.total;
  const body = $("#instances tbody");
  body.replaceChildren(
    ...page.instances.map((instance) => {
      const row = el("tr", { "data-instance": instance.instanceId });
      if (instance.instanceId === state.selected) row.classList.add("selected");
      row.append(
        el("td", { class: "mono" }, instance.instanceId),
        el("td", {}, instance.name),
        (() => {
          const cell = el("td");
          cell.append(el("span", { class: `badge s-${instance.runtimeStatus}` }, instance.runtimeStatus));
          return cell;
        })(),
        el(
          "td",
          { class: "mono", title: `created ${shortTime(instance.createdTime)}, updated ${shortTime(instance.lastUpdatedTime)}` },
          clockTime(instance.createdTime),
        ),
      );
      row.addEventListener("click", () => void select(instance.instanceId));
      return row;
    }),
  );
  if (!page.instances.length) {
    const row = el("tr");
    row.append(el("td", { colspan: "4", class: "muted" }, "No instances match."));
    body.append(row);
  }
  const last = Math.min(state.offset + PAGE_SIZE, state.total);
  $("#page-label").textContent = state.total ? `${state.offset + 1}–${last} of ${state.total}` : "";
  ($("#prev-page") as HTMLButtonElement).disabled = state.offset === 0;
  ($("#next-page") as HTMLButtonElement).disabled = last >= state.total;
}

// ------------------------------------------------------------------ detail

async function select(instanceId: string): Promise<void> {
  state.selected = instanceId;
  history.replaceState(null, "", `#${encodeURIComponent(instanceId)}`);
  for (const row of document.querySelectorAll("#instances tbody tr")) row.classList.toggle("selected", row.getAttribute("data-instance") === instanceId);
  await loadDetail();
}

async function loadDetail(): Promise<void> {
  if (!state.selected) return;
  let data: { instance: InstanceRecord; history: HistoryEvent[]; now: string; waits: InstanceWaits; warnings?: Warning[] };
  try {
    data = await client.history(state.selected);
  } catch {
    $("#detail").hidden = true;
    $("#detail-empty").hidden = false;
    $("#detail-empty").textContent = `Instance ${state.selected} no longer exists.`;
    return;
  }
  const { instance, history: events } = data;
  $("#detail-empty").hidden = true;
  $("#detail").hidden = false;
  $("#detail-title").textContent = `${instance.name} · ${instance.instanceId}`;
  const badge = $("#detail-status");
  badge.className = `badge s-${instance.runtimeStatus}`;
  badge.textContent = instance.runtimeStatus;
  const facts: [string, string][] = [
    ["Created", shortTime(instance.createdTime)],
    ["Last updated", shortTime(instance.lastUpdatedTime)],
    ["Execution", instance.executionId],
  ];
  if (instance.parent) facts.push(["Parent", instance.parent.instanceId]);
  if (data.waits.events.length) facts.push(["Waiting for", data.waits.events.join(", ")]);
  if (data.waits.timers.length) facts.push(["Next timer", shortTime(data.waits.timers[0].fireAt)]);
  // The event it waits for is the one most likely raised next; a name the user typed stays.
  const eventName = $("#event-name") as HTMLInputElement;
  eventName.placeholder = data.waits.events[0] ?? "event name";
  if (!eventName.value && data.waits.events.length === 1) eventName.value = data.waits.events[0];
  if (instance.failure) facts.push(["Failure", instance.failure.message]);
  $("#detail-facts").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  updateActions(instance.runtimeStatus);
  $("#data-input").textContent = pretty(instance.input);
  $("#data-output").textContent = pretty(instance.output);
  $("#data-custom").textContent = pretty(instance.customStatus);
  const warnings = data.warnings ?? [];
  const list = $("#detail-warnings");
  list.hidden = !warnings.length;
  list.replaceChildren(...warnings.map((warning) => el("li", {}, `${shortTime(warning.at)} ${warning.message}`)));
  const cancellations = instance.timerCancellations ?? [];
  $("#history tbody").replaceChildren(...historyRows(events, cancellations, shortTime));
  renderSequence(events, instance.name, instance.instanceId);
  await renderTimeline(events, data.now, cancellations);
}

// ------------------------------------------------------------------ warnings

type Warning = EngineWarning;

const seenWarnings: Warning[] = [];

/** The banner: how many warnings the emulator gave, the last one, and all of them on demand. */
function renderWarnings(): void {
  const banner = $("#warnings");
  banner.hidden = !seenWarnings.length;
  if (!seenWarnings.length) return;
  $("#warnings-count").textContent = `${seenWarnings.length} warning${seenWarnings.length > 1 ? "s" : ""}:`;
  $("#warnings-last").textContent = seenWarnings[seenWarnings.length - 1].message;
  $("#warnings-list").replaceChildren(
    ...seenWarnings
      .slice()
      .reverse()
      .map((warning) => el("li", {}, `${shortTime(warning.at)}${warning.instanceId ? ` [${warning.instanceId}]` : ""} ${warning.message}`)),
  );
}

function updateActions(status: string): void {
  const terminal = ["Completed", "Failed", "Terminated"].includes(status);
  const enabled: Record<string, boolean> = {
    suspend: !terminal && status !== "Suspended",
    resume: status === "Suspended",
    terminate: !terminal,
    rewind: status === "Failed",
    restart: true,
    // As in Azure, a purge deletes an instance whatever its status (the confirmation says what that means).
    purge: true,
  };
  for (const button of document.querySelectorAll<HTMLButtonElement>("#actions button[data-action]")) {
    button.disabled = !enabled[button.dataset.action ?? ""];
  }
  for (const control of document.querySelectorAll<HTMLInputElement | HTMLButtonElement>("#raise-form input, #raise-form button")) control.disabled = terminal;
}

// ------------------------------------------------------------------ sequence diagram

let sequenceUrl: string | undefined;

/** The sequence diagram, and its SVG as a file to save (DfMon's export; DTS's Sequence view). */
function renderSequence(events: HistoryEvent[], name: string, instanceId: string): void {
  const svg = sequenceDiagramSvg(events, name);
  // Our own SVG with every text escaped (sequence-diagram.ts), parsed as SVG rather than assigned as HTML.
  const parsed = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
  $("#sequence").replaceChildren(document.importNode(parsed, true));
  if (sequenceUrl) URL.revokeObjectURL(sequenceUrl);
  sequenceUrl = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  const link = $("#sequence-download") as HTMLAnchorElement;
  link.href = sequenceUrl;
  link.download = `${instanceId.replace(/[^\w.-]+/g, "_")}-sequence.svg`;
}

// ------------------------------------------------------------------ timeline

async function renderTimeline(events: HistoryEvent[], nowIso: string, cancellations: TimerCancellation[]): Promise<void> {
  const now = Date.parse(nowIso);
  let spans = spansOf(events, now, 0, cancellations);
  // Nest the first sub-orchestrations' own work under them.
  const children = spans.filter((span) => span.kind === "suborchestration" && span.instanceId).slice(0, 10);
  for (const child of children) {
    try {
      const data = await client.history(child.instanceId as string);
      const nested = spansOf(data.history, Date.parse(data.now), 1, data.instance.timerCancellations);
      spans = [...spans.slice(0, spans.indexOf(child) + 1), ...nested, ...spans.slice(spans.indexOf(child) + 1)];
    } catch {
      // the child was purged: show the parent's bar alone
    }
  }
  drawTimeline($("#timeline"), spans, events);
}

// ------------------------------------------------------------------ actions

async function act(action: string): Promise<void> {
  const id = state.selected;
  if (!id) return;
  const message = $("#action-message");
  const status = $("#detail-status").textContent ?? "";
  const unfinished = !["Completed", "Failed", "Terminated"].includes(status);
  if (action === "purge") {
    const question = unfinished
      ? `Instance ${id} is ${status}. Purging it deletes it and its history now, and drops its pending work; Azure does the same. Delete it anyway?`
      : `Delete instance ${id} and its history?`;
    if (!confirm(question)) return;
  }
  try {
    if (action === "purge") await client.purge(id);
    else {
      const answer = await client.act(id, action as InstanceAction, { reason: "from the dashboard", newInstanceId: action === "restart" ? true : undefined });
      message.textContent = `${action}: done`;
      if (action === "restart") await select((answer as { id: string }).id);
    }
    if (action === "purge") message.textContent = "purge: done";
  } catch (error) {
    message.textContent = `${action} failed${error instanceof EmulatorRequestError ? ` (${error.status})` : ""}: ${(error as Error).message}`;
  }
  await refresh();
}

async function raise(event: Event): Promise<void> {
  event.preventDefault();
  const id = state.selected;
  const name = ($("#event-name") as HTMLInputElement).value.trim();
  const dataText = ($("#event-data") as HTMLInputElement).value.trim();
  const message = $("#action-message");
  if (!id || !name) return;
  if (dataText) {
    try {
      JSON.parse(dataText);
    } catch (error) {
      message.textContent = `The event data is not JSON: ${(error as Error).message}. Quote strings: "yes".`;
      return;
    }
  }
  // The API takes JSON only, and an empty body is not JSON: no data is null.
  try {
    await client.raise(id, name, dataText ? (JSON.parse(dataText) as unknown) : null);
    message.textContent = `Raised "${name}".`;
  } catch (error) {
    message.textContent = `Raising "${name}" failed${error instanceof EmulatorRequestError ? ` (${error.status})` : ""}: ${(error as Error).message}`;
  }
  await refresh();
}

// ------------------------------------------------------------------ live updates

let refreshTimer: number | undefined;
async function refresh(): Promise<void> {
  await loadList();
  await loadDetail();
}

function scheduleRefresh(): void {
  if (refreshTimer !== undefined) return;
  refreshTimer = window.setTimeout(() => {
    refreshTimer = undefined;
    void refresh();
  }, 250);
}

function connectLive(): void {
  const source = new EventSource("api/events");
  const indicator = $("#live");
  source.addEventListener("open", () => indicator.classList.remove("off"));
  source.addEventListener("error", () => indicator.classList.add("off"));
  source.addEventListener("instance", () => scheduleRefresh());
  source.addEventListener("warning", (event) => {
    const warning = JSON.parse((event as MessageEvent<string>).data) as Omit<Warning, "at">;
    seenWarnings.push({ ...warning, at: new Date().toISOString() });
    renderWarnings();
    if (warning.instanceId === state.selected) scheduleRefresh();
  });
}

async function start(): Promise<void> {
  const info = await client.info();
  $("#app-info").textContent = `${info.appDir} · store ${info.store}${info.timeSkipping ? " · time skipping" : ""}`;
  renderStatusFilters();
  let searchTimer: number | undefined;
  $("#search").addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      state.search = ($("#search") as HTMLInputElement).value.trim();
      state.offset = 0;
      void loadList();
    }, 200);
  });
  $("#prev-page").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    void loadList();
  });
  $("#next-page").addEventListener("click", () => {
    state.offset += PAGE_SIZE;
    void loadList();
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>("#actions button[data-action]")) {
    button.addEventListener("click", () => void act(button.dataset.action ?? ""));
  }
  $("#raise-form").addEventListener("submit", (event) => void raise(event));
  for (const tab of document.querySelectorAll<HTMLButtonElement>(".tabs button")) {
    tab.addEventListener("click", () => {
      state.tab = tab.dataset.tab ?? "timeline";
      for (const other of document.querySelectorAll<HTMLButtonElement>(".tabs button")) other.setAttribute("aria-selected", String(other === tab));
      for (const panel of document.querySelectorAll<HTMLElement>(".tab")) panel.hidden = panel.id !== `tab-${state.tab}`;
    });
  }
  $("#warnings-toggle").addEventListener("click", () => {
    const list = $("#warnings-list");
    list.hidden = !list.hidden;
    $("#warnings-toggle").textContent = list.hidden ? "Show all" : "Hide";
  });
  seenWarnings.push(...(await client.warnings()).warnings);
  renderWarnings();
  await loadList();
  const fromHash = () => decodeURIComponent(location.hash.slice(1));
  if (fromHash()) await select(fromHash());
  // A link to another instance of this dashboard (#<id>) changes only the fragment: open that instance.
  window.addEventListener("hashchange", () => {
    if (fromHash() && fromHash() !== state.selected) void select(fromHash());
  });
  connectLive();
}

void start();
