/** Durations for the debug console's `advance`: 90s, 5m, 2h, 1d, 1h30m, or ISO 8601 (PT1H30M, P1D). */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const value = text.trim();
  const iso = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value);
  if (iso && value.length > 1 && value.toUpperCase() !== "PT") {
    const [, d, h, m, s] = iso;
    return Number(d ?? 0) * UNITS.d + Number(h ?? 0) * UNITS.h + Number(m ?? 0) * UNITS.m + Number(s ?? 0) * UNITS.s;
  }
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gi)];
  if (
    parts.length &&
    parts
      .map((part) => part[0])
      .join("")
      .replace(/\s/g, "") === value.replace(/\s/g, "")
  ) {
    return parts.reduce((total, part) => total + Number(part[1]) * UNITS[part[2].toLowerCase()], 0);
  }
  throw new Error(`"${text}" is not a duration. Examples: advance 30s, advance 5m, advance 2h, advance 1d, advance PT1H30M.`);
}
