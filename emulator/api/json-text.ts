/** Inputs, outputs and custom status are stored as JSON text; this reads them back (text that is not JSON stays text). */
export function parseJsonText(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** JSON text from a Durable Task SDK (a protocol StringValue) as a value: none or empty is undefined, text that is not JSON stays text. */
export function wireJsonValue(text: string | undefined): unknown {
  return text === "" ? undefined : parseJsonText(text);
}
