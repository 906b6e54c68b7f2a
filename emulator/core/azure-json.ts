/** How the Durable extension turns stored text into the JSON it answers, and how Newtonsoft.Json writes dates. */

/**
 * DurableClient.ParseToJToken (DurableClient.cs:1095-1118): null stays null, blank text is "", JSON text is its
 * value, and anything else (a termination reason, say) is the text itself.
 */
export function parseToJToken(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null;
  const trimmed = text.trim();
  if (trimmed.length === 0) return "";
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

/**
 * A UTC date-time as Newtonsoft.Json writes a DateTime (its IsoDateFormat, "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"): the
 * fraction of a second without trailing zeros, none at all when it is zero.
 */
export function newtonsoftDate(iso: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!match) return iso;
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  return `${match[1]}${fraction ? `.${fraction}` : ""}Z`;
}

/**
 * The next UTC date-time 100 ns (one .NET tick) after a Newtonsoft-written one, in the same form: what the entity
 * message sorter writes when two messages to one entity would carry the same timestamp (MessageSorter.cs: "ensure
 * timestamps are monotonic", new DateTime(last.Ticks + 1)).
 */
export function nextTick(date: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(date);
  if (!match) return date;
  const ticks = BigInt((match[2] ?? "").padEnd(7, "0").slice(0, 7)) + 1n;
  if (ticks < 10_000_000n) return newtonsoftDate(`${match[1]}.${ticks.toString().padStart(7, "0")}Z`);
  return newtonsoftDate(new Date(Date.parse(`${match[1]}Z`) + 1000).toISOString().replace(/\.\d+Z$/, ".0000000Z"));
}

/** Whether Newtonsoft-written UTC date-time `a` is at or before `b` (to the tick). */
export function notAfter(a: string, b: string): boolean {
  const key = (date: string) => {
    const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(date);
    return match ? `${match[1]}.${(match[2] ?? "").padEnd(7, "0")}` : date;
  };
  return key(a) <= key(b);
}
