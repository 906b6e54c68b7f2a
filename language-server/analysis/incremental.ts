/**
 * Incremental analysis: the AnalysisHook (reads.ts) the language server gives each new Analyzer. It keeps, from one
 * program to the next, what each function's walk did — the findings it reported (positions relative to the function,
 * the orchestrator's place as a placeholder) and the walks it asked for, in order — and what each file's catalog scan
 * registered, and replays them instead of running them again while nothing they depend on has changed. An edit then
 * costs the walks of the functions it changed (with the new program's checker), not a walk of every orchestrator.
 *
 * What a walk of function F depends on, and how it is checked (reads.ts states the analysis's side of it):
 * - F's text: an entry is keyed by the text of F's outermost function, F's offset in it, and the walk's reach (the
 *   orchestrator's name and SDK, the call path, the context's name, guarded/in a callback) and the rule settings;
 * - what the checker sees from F's file: the closure of that file (file-facts.ts);
 * - the functions F asks to walk: found again by their place (file-facts.ts), while their file's signature is the same;
 *   the replay asks for each again, and the analysis again looks whether it walked it already;
 * - the bodies of other functions it read (their outermost function's text), whether the functions it asked about
 *   return a task (asked again), the catalog's answers (asked again), the name a file gives durable-functions' app or
 *   its durabletask-js worker;
 * - files that findings or fixes point into outside F (other than F's file's end): the very same versions.
 * An orchestrator's whole walk is kept as it is (its findings, not replayed function by function) while the outermost
 * functions it went through have the same texts (their files the same signatures) and everything its functions read
 * holds; its findings are then moved to where those functions are now.
 * A catalog scan of file X depends on X's version, X's closure, the bodies it read, and the versions of the files of the
 * handlers it found; one that read every file's calls (a registering helper) is not kept.
 */
import ts = require("typescript");
import type { FileRegistrations, Finding, Reach, TextRange } from "./model";
import { ProgramFacts, type Place } from "./file-facts";
import type { AnalysisHook, CatalogRead, Rereader } from "./reads";
import type { Sdk } from "./sdk";

/** Where a range recorded in a walk of F is: the orchestrator's placeholder, inside F, F's file's end, or anywhere (exact). */
type RangeTemplate = { at: "origin" } | { at: "fn"; start: number; end: number } | { at: "end" } | { at: "file"; file: string; start: number; end: number };

interface FindingTemplate {
  range: RangeTemplate;
  code: string;
  severity: Finding["severity"];
  message: string;
  related: { range: RangeTemplate; message: string }[];
  fixes: { title: string; edits: { range: RangeTemplate; newText: string }[] }[];
}

/** What a nested walk's reach changes of its parent's (the orchestrator, its name and place are inherited). */
interface ReachChange {
  path: string[];
  contextName?: string;
  guarded: boolean;
  inCallback: boolean;
}

type Event = { type: "findings"; items: FindingTemplate[] } | { type: "walk"; target: Place; reach: ReachChange };

/** What a recording read beyond its own text, checked before a replay. */
interface Dependencies {
  /** Closures of files (an orchestrator's whole walk: those of the files its functions are in). */
  closures: Map<string, string>;
  /** Signatures of the files of the functions found by place (walk targets, bodies read), at recording. */
  signatures: Map<string, string>;
  /** Outermost functions whose text was read (the place's outerHash). */
  bodies: Map<string, Place>;
  /** With the versions of the function's file's closure then: while they are the same, so is the answer. */
  returnsTask: Map<string, { place: Place; value: boolean; versions: string }>;
  /** Catalog questions and their answers, as text. */
  catalog: Map<string, { read: CatalogRead; value: string }>;
  /** By SDK and file name: the name the file gives the app (worker) then. */
  durableApps: Map<string, { fileName: string; sdk: Sdk; value: string | undefined }>;
  /** Files that must be the very same version. */
  files: Map<string, ts.SourceFile | undefined>;
  /** Read something no check can cover: not kept. */
  uncheckable: boolean;
}

interface WalkEntry {
  generation: number;
  closure: string;
  deps: Dependencies;
  events: Event[];
}

/**
 * An orchestrator's walk as a whole: the functions it walked (by place, with their outermost functions' texts), what
 * they all read, and the findings, each with the function it is relative to.
 */
interface WholeWalk {
  generation: number;
  functions: Map<string, Place>;
  deps: Dependencies;
  findings: { template: FindingTemplate; anchor: Place }[];
  /** The function walks it is made of, kept alive with it (for when one of its functions changes). */
  entries: WalkEntry[];
}

interface Collector {
  functions: Map<string, Place>;
  deps: Dependencies;
  findings: { template: FindingTemplate; anchor: Place }[];
  entries: WalkEntry[];
  ok: boolean;
}

interface ScanEntry {
  generation: number;
  file: ts.SourceFile;
  closure: string;
  deps: Dependencies;
  value: FileRegistrations;
}

/** A walk or a scan being recorded, or (deps undefined) a replay or a check whose reads are nobody's. */
interface Frame {
  deps?: Dependencies;
  /** A walk: F, its file and start, the orchestrator's place, the events so far. */
  fn?: ts.FunctionLikeDeclaration;
  file?: ts.SourceFile;
  start?: number;
  origin?: TextRange;
  events?: Event[];
  findings?: Finding[];
  mark?: number;
}

export interface CacheStatistics {
  /** Orchestrators whose whole walk was kept (nothing it went through changed). */
  orchestratorsKept: number;
  walksReplayed: number;
  walksRun: number;
  /** Entries found whose dependencies no longer held. */
  walksStale: number;
  scansKept: number;
  scansRun: number;
  entries: number;
}

/** How many analyses a walk not used since is kept for. */
const KEPT_GENERATIONS = 12;

const newDependencies = (): Dependencies => ({
  closures: new Map(),
  signatures: new Map(),
  bodies: new Map(),
  returnsTask: new Map(),
  catalog: new Map(),
  durableApps: new Map(),
  files: new Map(),
  uncheckable: false,
});
const placeId = (place: Place) => `${place.fileName}\u0000${place.ordinal}\u0000${place.offset}\u0000${place.kind}`;

export class IncrementalCache implements AnalysisHook {
  private readonly files = new ProgramFacts();
  private program!: ts.Program;
  private rereader!: Rereader;
  private settingsKey = "";
  private generation = 0;
  private readonly walks = new Map<string, WalkEntry>();
  private readonly scans = new Map<string, ScanEntry>();
  private readonly wholeWalks = new Map<string, WholeWalk>();
  /** While an orchestrator is walked: what its walk is made of. */
  private collector?: Collector;
  private readonly stack: Frame[] = [];
  private filesChanged = true;
  /** This analysis's answers to recorded questions (the catalog's, the app's names in files). */
  private answers = new Map<string, string>();
  private durableApps = new Map<string, string | undefined>();

  stats: CacheStatistics = { orchestratorsKept: 0, walksReplayed: 0, walksRun: 0, walksStale: 0, scansKept: 0, scansRun: 0, entries: 0 };

  /** The set of workspace files changed (added or removed): imports may resolve elsewhere now. */
  fileSetChanged(): void {
    this.filesChanged = true;
  }

  begin(program: ts.Program, settingsKey: string, rereader: Rereader): void {
    this.program = program;
    this.rereader = rereader;
    this.settingsKey = settingsKey;
    this.generation++;
    this.answers = new Map();
    this.durableApps = new Map();
    this.stats = { orchestratorsKept: 0, walksReplayed: 0, walksRun: 0, walksStale: 0, scansKept: 0, scansRun: 0, entries: 0 };
    this.files.update(program, this.filesChanged);
    this.filesChanged = false;
  }

  /**
   * Forgets what the last analyses did not use (older versions of edited functions, orchestrators gone), but not at
   * once: an undo brings back the text of a few edits ago.
   */
  finish(): void {
    const oldest = this.generation - KEPT_GENERATIONS;
    for (const [key, entry] of this.walks) if (entry.generation <= oldest) this.walks.delete(key);
    for (const [key, entry] of this.scans) if (entry.generation !== this.generation) this.scans.delete(key);
    for (const [key, whole] of this.wholeWalks) if (whole.generation <= oldest) this.wholeWalks.delete(key);
    this.stats.entries = this.walks.size;
  }

  // ---- reads (reads.ts): noted in the recording on top ----

  private get recording(): Frame | undefined {
    const top = this.stack[this.stack.length - 1];
    return top?.deps ? top : undefined;
  }

  body(fn: ts.FunctionLikeDeclaration): void {
    const frame = this.recording;
    const place = frame && this.files.placeOf(fn);
    if (!frame?.deps) return;
    if (!place) {
      frame.deps.uncheckable = true;
      return;
    }
    // Inside the recorded function's own outermost function: its text is the entry's key already.
    if (frame.fn && frame.file && place.fileName === frame.file.fileName && this.files.placeOf(frame.fn)?.ordinal === place.ordinal) return;
    frame.deps.bodies.set(`${place.fileName}\u0000${place.ordinal}`, place);
    this.noteSignature(frame.deps, place.fileName);
  }

  returnsTask(fn: ts.FunctionLikeDeclaration, value: boolean): void {
    const deps = this.recording?.deps;
    if (!deps) return;
    const place = this.files.placeOf(fn);
    if (!place) {
      deps.uncheckable = true;
      return;
    }
    deps.returnsTask.set(placeId(place), { place, value, versions: this.files.versionClosureOf(place.fileName) });
    this.noteSignature(deps, place.fileName);
  }

  catalog(read: CatalogRead): void {
    const deps = this.recording?.deps;
    if (!deps) return;
    deps.catalog.set(`${read.kind}\u0000${read.read}\u0000${"name" in read ? read.name : ""}`, { read, value: this.catalogValue(read) });
  }

  durableApp(file: ts.SourceFile, value: string | undefined, sdk: Sdk): void {
    this.recording?.deps?.durableApps.set(`${sdk}\u0000${file.fileName}`, { fileName: file.fileName, sdk, value });
  }

  uncheckable(): void {
    const deps = this.recording?.deps;
    if (deps) deps.uncheckable = true;
  }

  private noteSignature(deps: Dependencies, fileName: string): void {
    if (!deps.signatures.has(fileName)) deps.signatures.set(fileName, this.files.ofName(fileName)?.signature ?? "");
  }

  /** A catalog answer as text: a handler by its place, its text and what its file sees (its types). */
  private catalogValue(read: CatalogRead): string {
    if (read.read !== "handler") return String(read.value);
    const handler = read.value;
    if (!handler) return "none";
    const place = this.files.placeOf(handler);
    return place
      ? `${placeId(place)}\u0000${place.outerHash}\u0000${this.files.closureOf(place.fileName)}`
      : `untracked:${handler.getSourceFile().fileName}:${handler.pos}`;
  }

  // ---- walks ----

  walkAsked(fn: ts.FunctionLikeDeclaration, reach: Reach): void {
    const frame = this.recording;
    if (!frame?.events || !frame.deps) return;
    const place = this.files.placeOf(fn);
    if (!place) {
      frame.deps.uncheckable = true;
      return;
    }
    this.flush(frame);
    frame.events.push({
      type: "walk",
      target: place,
      reach: { path: reach.path, contextName: reach.contextName, guarded: reach.guarded, inCallback: reach.inCallback },
    });
    this.noteSignature(frame.deps, place.fileName);
  }

  walk(fn: ts.FunctionLikeDeclaration, reach: Reach, findings: Finding[], run: () => void, walk: (fn: ts.FunctionLikeDeclaration, reach: Reach) => void): void {
    const place = this.files.placeOf(fn);
    const key = place
      ? `${place.fileName}\u0000${place.outerHash}\u0000${place.offset}\u0000${place.kind}\u0001${reach.orchestratorName}\u0001${reach.sdk}\u0001${reach.path.join("\u0002")}\u0001${reach.contextName ?? ""}\u0001${reach.guarded}\u0001${reach.inCallback}\u0001${this.settingsKey}`
      : undefined;
    if (this.collector || this.stack.length > 0 || !key) {
      const parent = this.recording;
      try {
        this.walkFunction(fn, key, reach, findings, run, walk);
      } finally {
        // What the nested walk reported is its own, not the recording's that asked for it.
        if (parent?.findings) parent.mark = parent.findings.length;
      }
      return;
    }
    // An orchestrator: kept whole if nothing it went through changed, else walked function by function.
    const whole = this.wholeWalks.get(key);
    const starts = whole && this.check(() => this.wholeHolds(whole));
    if (whole && starts) {
      for (const { template, anchor } of whole.findings) {
        const at = starts.get(placeId(anchor)) as { file: ts.SourceFile; start: number };
        findings.push(this.instantiate(template, at.file, at.start, reach.origin));
      }
      whole.generation = this.generation;
      for (const entry of whole.entries) entry.generation = this.generation;
      this.stats.orchestratorsKept++;
      return;
    }
    const collector: Collector = { functions: new Map(), deps: newDependencies(), findings: [], entries: [], ok: true };
    const mark = findings.length;
    this.collector = collector;
    try {
      this.walkFunction(fn, key, reach, findings, run, walk);
    } finally {
      this.collector = undefined;
    }
    if (collector.ok && collector.findings.length === findings.length - mark) {
      this.wholeWalks.set(key, {
        generation: this.generation,
        functions: collector.functions,
        deps: collector.deps,
        findings: collector.findings,
        entries: collector.entries,
      });
    } else {
      this.wholeWalks.delete(key);
    }
  }

  /** Whether an orchestrator's whole walk holds: then where each function it walked starts now (else undefined). */
  private wholeHolds(whole: WholeWalk): Map<string, { file: ts.SourceFile; start: number }> | undefined {
    if (!this.holds(whole.deps)) return undefined;
    const starts = new Map<string, { file: ts.SourceFile; start: number }>();
    for (const [id, place] of whole.functions) {
      const facts = this.files.ofName(place.fileName);
      if (!facts?.outer[place.ordinal] || facts.outerHash(place.ordinal) !== place.outerHash) return undefined;
      starts.set(id, { file: facts.file, start: facts.outer[place.ordinal].getStart(facts.file) + place.offset });
    }
    return starts;
  }

  /** Adds a function walk to the orchestrator's being collected: the function, its file's closure, what it read. */
  private collect(entry: WalkEntry | undefined, fn: ts.FunctionLikeDeclaration): void {
    const collector = this.collector;
    if (!collector) return;
    const place = this.files.placeOf(fn);
    if (!entry || !place) {
      collector.ok = false;
      return;
    }
    const file = fn.getSourceFile();
    collector.entries.push(entry);
    collector.functions.set(placeId(place), place);
    this.noteSignature(collector.deps, file.fileName);
    const deps = collector.deps;
    deps.closures.set(file.fileName, entry.closure);
    for (const [name, closure] of entry.deps.closures) deps.closures.set(name, closure);
    for (const [name, signature] of entry.deps.signatures) deps.signatures.set(name, signature);
    for (const [name, place] of entry.deps.bodies) deps.bodies.set(name, place);
    for (const [name, value] of entry.deps.returnsTask) deps.returnsTask.set(name, value);
    for (const [name, value] of entry.deps.catalog) deps.catalog.set(name, value);
    for (const [name, value] of entry.deps.durableApps) deps.durableApps.set(name, value);
    for (const [name, version] of entry.deps.files) deps.files.set(name, version);
  }

  private walkFunction(
    fn: ts.FunctionLikeDeclaration,
    key: string | undefined,
    reach: Reach,
    findings: Finding[],
    run: () => void,
    walk: (fn: ts.FunctionLikeDeclaration, reach: Reach) => void,
  ): void {
    const entry = key ? this.walks.get(key) : undefined;
    const file = fn.getSourceFile();
    if (entry) {
      const targets = this.check(() =>
        entry.closure === this.files.closureOf(file.fileName) && this.holds(entry.deps) ? this.targets(entry.events) : undefined,
      );
      if (targets) {
        entry.generation = this.generation;
        this.stats.walksReplayed++;
        this.collect(entry, fn);
        this.replay(entry, targets, fn, reach, findings, walk);
        return;
      }
      this.stats.walksStale++;
    }
    this.stats.walksRun++;
    const frame: Frame = { deps: newDependencies(), fn, file, start: fn.getStart(file), origin: reach.origin, events: [], findings, mark: findings.length };
    if (!key) frame.deps!.uncheckable = true;
    this.stack.push(frame);
    let completed = false;
    try {
      run();
      completed = true;
    } finally {
      this.stack.pop();
    }
    this.flush(frame);
    if (completed && key && !frame.deps!.uncheckable) {
      const recorded: WalkEntry = { generation: this.generation, closure: this.files.closureOf(file.fileName), deps: frame.deps!, events: frame.events! };
      this.walks.set(key, recorded);
      this.collect(recorded, fn);
    } else {
      this.collect(undefined, fn);
    }
  }

  /** Runs a check with the reads it makes going to nobody (they are the current program's answers, not a recording's). */
  private check<T>(run: () => T): T {
    this.stack.push({});
    try {
      return run();
    } finally {
      this.stack.pop();
    }
  }

  /** The recorded walks' targets in the current program, or undefined if one is not there any more. */
  private targets(events: Event[]): ts.FunctionLikeDeclaration[] | undefined {
    const found: ts.FunctionLikeDeclaration[] = [];
    for (const event of events) {
      if (event.type !== "walk") continue;
      const node = this.files.ofName(event.target.fileName)?.find(event.target);
      if (!node) return undefined;
      found.push(node as ts.FunctionLikeDeclaration);
    }
    return found;
  }

  private replay(
    entry: WalkEntry,
    targets: ts.FunctionLikeDeclaration[],
    fn: ts.FunctionLikeDeclaration,
    reach: Reach,
    findings: Finding[],
    walk: (fn: ts.FunctionLikeDeclaration, reach: Reach) => void,
  ): void {
    const file = fn.getSourceFile();
    const start = fn.getStart(file);
    let next = 0;
    // The replay's own reads are nobody's; the walks it starts record (or replay) on their own.
    this.stack.push({});
    try {
      const anchor = this.collector ? this.files.placeOf(fn) : undefined;
      for (const event of entry.events) {
        if (event.type === "findings") {
          for (const item of event.items) {
            findings.push(this.instantiate(item, file, start, reach.origin));
            if (anchor) this.collector?.findings.push({ template: item, anchor });
          }
        } else walk(targets[next++], { ...reach, ...event.reach });
      }
    } finally {
      this.stack.pop();
    }
  }

  /** Records the findings reported since the frame's mark, in order with its walks. */
  private flush(frame: Frame): void {
    if (!frame.findings || frame.mark === undefined || !frame.events) return;
    if (frame.findings.length > frame.mark) {
      const items = frame.findings.slice(frame.mark).map((finding) => this.template(finding, frame));
      frame.events.push({ type: "findings", items });
      const anchor = this.collector && frame.fn ? this.files.placeOf(frame.fn) : undefined;
      if (anchor) for (const template of items) this.collector?.findings.push({ template, anchor });
      else if (this.collector) this.collector.ok = false;
    }
    frame.mark = frame.findings.length;
  }

  private template(finding: Finding, frame: Frame): FindingTemplate {
    return {
      range: this.rangeTemplate(finding, frame),
      code: finding.code,
      severity: finding.severity,
      message: finding.message,
      related: finding.related.map((related) => ({ range: this.rangeTemplate(related, frame), message: related.message })),
      fixes: finding.fixes.map((fix) => ({
        title: fix.title,
        edits: fix.edits.map((edit) => ({ range: this.rangeTemplate(edit, frame), newText: edit.newText })),
      })),
    };
  }

  private rangeTemplate(range: TextRange, frame: Frame): RangeTemplate {
    const origin = frame.origin;
    const file = frame.file as ts.SourceFile;
    const fn = frame.fn as ts.FunctionLikeDeclaration;
    if (origin && range.file === origin.file && range.start === origin.start && range.end === origin.end) return { at: "origin" };
    if (range.file === file.fileName && range.start >= (frame.start as number) && range.end <= fn.end)
      return { at: "fn", start: range.start - (frame.start as number), end: range.end - (frame.start as number) };
    if (range.file === file.fileName && range.start === file.end && range.end === file.end) return { at: "end" };
    frame.deps?.files.set(range.file, this.program.getSourceFile(range.file));
    return { at: "file", file: range.file, start: range.start, end: range.end };
  }

  private instantiate(item: FindingTemplate, file: ts.SourceFile, start: number, origin: TextRange): Finding {
    const range = (template: RangeTemplate): TextRange => {
      switch (template.at) {
        case "origin":
          return { file: origin.file, start: origin.start, end: origin.end };
        case "fn":
          return { file: file.fileName, start: template.start + start, end: template.end + start };
        case "end":
          return { file: file.fileName, start: file.end, end: file.end };
        case "file":
          return { file: template.file, start: template.start, end: template.end };
      }
    };
    return {
      ...range(item.range),
      code: item.code,
      severity: item.severity,
      message: item.message,
      related: item.related.map((related) => ({ ...range(related.range), message: related.message })),
      fixes: item.fixes.map((fix) => ({ title: fix.title, edits: fix.edits.map((edit) => ({ ...range(edit.range), newText: edit.newText })) })),
    };
  }

  // ---- catalog scans ----

  scan(file: ts.SourceFile, run: () => FileRegistrations): FileRegistrations {
    const kept = this.scans.get(file.fileName);
    if (kept && kept.file === file && this.check(() => kept.closure === this.files.closureOf(file.fileName) && this.holds(kept.deps))) {
      kept.generation = this.generation;
      this.stats.scansKept++;
      return kept.value;
    }
    this.stats.scansRun++;
    const frame: Frame = { deps: newDependencies() };
    this.stack.push(frame);
    let value: FileRegistrations;
    try {
      value = run();
    } finally {
      this.stack.pop();
    }
    const deps = frame.deps as Dependencies;
    // The functions it registers must be these very nodes: their files' versions.
    for (const registration of value.registrations) {
      if (registration.op !== "handler" && registration.op !== "orchestrator") continue;
      const other = registration.fn.getSourceFile();
      if (other !== file) deps.files.set(other.fileName, other);
    }
    if (!deps.uncheckable) this.scans.set(file.fileName, { generation: this.generation, file, closure: this.files.closureOf(file.fileName), deps, value });
    else this.scans.delete(file.fileName);
    return value;
  }

  // ---- dependencies ----

  /** The current catalog's answer to a recorded question, asked once per analysis. */
  private answer(question: string, read: CatalogRead): string {
    let value = this.answers.get(question);
    if (value === undefined) this.answers.set(question, (value = this.catalogValue(this.rereader.catalog(read))));
    return value;
  }

  private durableAppNow(key: string, fileName: string, sdk: Sdk): string | undefined {
    if (this.durableApps.has(key)) return this.durableApps.get(key);
    const file = this.program.getSourceFile(fileName);
    const value = file ? this.rereader.durableApp(file, sdk) : "\u0000no file";
    this.durableApps.set(key, value);
    return value;
  }

  private holds(deps: Dependencies): boolean {
    if (deps.uncheckable) return false;
    for (const [name, closure] of deps.closures) if (this.files.closureOf(name) !== closure) return false;
    for (const [name, version] of deps.files) if (this.program.getSourceFile(name) !== version) return false;
    for (const [name, signature] of deps.signatures) if ((this.files.ofName(name)?.signature ?? "") !== signature) return false;
    for (const place of deps.bodies.values()) {
      const facts = this.files.ofName(place.fileName);
      if (!facts?.outer[place.ordinal] || facts.outerHash(place.ordinal) !== place.outerHash) return false;
    }
    for (const [key, { fileName, sdk, value }] of deps.durableApps) if (this.durableAppNow(key, fileName, sdk) !== value) return false;
    for (const [question, { read, value }] of deps.catalog) if (this.answer(question, read) !== value) return false;
    for (const { place, value, versions } of deps.returnsTask.values()) {
      if (versions === this.files.versionClosureOf(place.fileName)) continue;
      const fn = this.files.ofName(place.fileName)?.find(place);
      if (!fn || this.rereader.returnsTask(fn as ts.FunctionLikeDeclaration) !== value) return false;
    }
    return true;
  }
}
