/**
 * A request's query string read as the Durable extension reads it, so a script's query means here what it means on
 * Azure: names in any letter case, values trimmed and URL-decoded, a repeated name read as its values joined with
 * commas (HttpRequestMessageExtensions.GetQueryNameValuePairs builds a NameValueCollection with
 * StringComparer.OrdinalIgnoreCase, HttpRequestMessageExtensions.cs:64-128), and each value parsed with the .NET
 * TryParse the handler uses: a value that does not parse is ignored, never an error (HttpApiHandler.cs:719-775).
 */

export class AzureQuery {
  private constructor(private readonly pairs: readonly [string, string][]) {}

  /** `search` is the query part of the URL, with or without its "?". */
  static parse(search: string): AzureQuery {
    const text = search.startsWith("?") ? search.slice(1) : search;
    const pairs: [string, string][] = [];
    if (!text) return new AzureQuery(pairs);
    const parts = text.split("&");
    parts.forEach((part, index) => {
      // A trailing "&" adds an empty pair, as the extension's parser does; "a&&b" has an empty part in between.
      if (part === "" && index === parts.length - 1) {
        pairs.push(["", ""]);
        return;
      }
      const equals = part.indexOf("=");
      const name = equals < 0 ? "" : part.slice(0, equals);
      const value = equals < 0 ? part : part.slice(equals + 1);
      pairs.push([urlDecode(name.trim()), urlDecode(value.trim())]);
    });
    return new AzureQuery(pairs);
  }

  /** Every value given for the name (NameValueCollection.GetValues), or undefined when none is. */
  values(name: string): string[] | undefined {
    const key = name.toLowerCase();
    const found = this.pairs.filter(([n]) => n.toLowerCase() === key).map(([, v]) => v);
    return found.length ? found : undefined;
  }

  /** The name's value (NameValueCollection's indexer: several values joined with commas), or undefined. */
  get(name: string): string | undefined {
    return this.values(name)?.join(",");
  }

  /** bool.TryParse: "true" or "false" in any letter case, with white space around; anything else is undefined. */
  bool(name: string): boolean | undefined {
    const text = this.get(name)
      ?.replace(/^[\s\0]+|[\s\0]+$/g, "")
      .toLowerCase();
    return text === "true" ? true : text === "false" ? false : undefined;
  }

  /** int.TryParse: a 32-bit integer with an optional sign and white space around. */
  int(name: string): number | undefined {
    const match = /^\s*([+-]?)(\d+)\s*$/.exec(this.get(name) ?? "");
    if (!match) return undefined;
    const value = Number(`${match[1]}${match[2]}`);
    return value >= -2_147_483_648 && value <= 2_147_483_647 ? value : undefined;
  }

  /**
   * double.TryParse (NumberStyles.Float | AllowThousands): digits with thousands separators, a decimal point, an
   * exponent, and the symbols NaN and ±Infinity; undefined when it does not parse.
   */
  double(name: string): number | undefined {
    const text = (this.get(name) ?? "").trim();
    const symbol = /^([+-]?)(infinity|∞)$/i.exec(text);
    if (symbol) return symbol[1] === "-" ? -Infinity : Infinity;
    if (/^[+-]?nan$/i.test(text)) return Number.NaN;
    if (!/^[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return undefined;
    return Number(text.replace(/,/g, ""));
  }

  /**
   * DateTime.TryParse, for the forms scripts send: ISO 8601 dates and date-times (a time without an offset is
   * taken as UTC, the time zone Azure's hosts run in) and US month/day/year dates. Returns an ISO 8601 UTC string.
   */
  date(name: string): string | undefined {
    const text = (this.get(name) ?? "").trim();
    const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text);
    const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
    let parts: { year: number; month: number; day: number; hour: number; minute: number; second: number; fraction: string; zone: string } | undefined;
    if (iso) {
      parts = {
        year: +iso[1],
        month: +iso[2],
        day: +iso[3],
        hour: +(iso[4] ?? 0),
        minute: +(iso[5] ?? 0),
        second: +(iso[6] ?? 0),
        fraction: iso[7] ?? "",
        zone: iso[8] ?? "Z",
      };
    } else if (us) {
      parts = { year: +us[3], month: +us[1], day: +us[2], hour: +(us[4] ?? 0), minute: +(us[5] ?? 0), second: +(us[6] ?? 0), fraction: "", zone: "Z" };
    }
    if (!parts || parts.year < 1 || parts.month < 1 || parts.month > 12 || parts.day < 1 || parts.hour > 23 || parts.minute > 59 || parts.second > 59)
      return undefined;
    const daysInMonth = new Date(Date.UTC(parts.year, parts.month, 0)).getUTCDate();
    if (parts.day > daysInMonth) return undefined;
    const zone =
      parts.zone.toUpperCase() === "Z"
        ? "Z"
        : parts.zone.length === 3
          ? `${parts.zone}:00`
          : parts.zone.includes(":")
            ? parts.zone
            : `${parts.zone.slice(0, 3)}:${parts.zone.slice(3)}`;
    const pad = (n: number, width = 2) => String(n).padStart(width, "0");
    const ms = Date.parse(
      `${pad(parts.year, 4)}-${pad(parts.month)}-${pad(parts.day)}T${pad(parts.hour)}:${pad(parts.minute)}:${pad(parts.second)}${parts.fraction.slice(0, 4)}${zone}`,
    );
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  }
}

/** WebUtility.UrlDecode: "+" is a space, %XX a byte of UTF-8; an escape that is not one stays as it is. */
function urlDecode(text: string): string {
  const plus = text.replace(/\+/g, " ");
  if (!plus.includes("%")) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    // Decode the valid escapes one run at a time and keep the rest as written.
    return plus.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}
