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
