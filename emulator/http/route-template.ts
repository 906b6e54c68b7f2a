/**
 * The route templates of httpTrigger functions (ASP.NET attribute-routing syntax, as the Functions host uses):
 * literal segments (case-insensitive), `{name}`, optional `{name?}`, defaults `{name=value}`, constraints
 * `{id:int}`, `{name:alpha}`, `{id:guid}`…, and catch-all `{*rest}`.
 */
export interface RouteTemplate {
  template: string;
  /** Literal characters in the template: more literal text is a more specific route. */
  specificity: number;
  match(path: string): Record<string, string> | undefined;
}

const CONSTRAINTS: Record<string, string> = {
  int: "-?\\d+",
  long: "-?\\d+",
  bool: "(?:true|false)",
  alpha: "[A-Za-z]+",
  guid: "[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
  float: "-?\\d+(?:\\.\\d+)?",
  double: "-?\\d+(?:\\.\\d+)?",
  decimal: "-?\\d+(?:\\.\\d+)?",
  datetime: "[^/]+",
};

interface Parameter {
  name: string;
  optional: boolean;
  defaultValue?: string;
}

export function parseRouteTemplate(templateInput: string): RouteTemplate {
  const template = templateInput.replace(/^\/+|\/+$/g, "");
  const parameters: Parameter[] = [];
  let source = "^";
  let specificity = 0;
  const segments = template ? template.split("/") : [];
  segments.forEach((segment, index) => {
    const separator = index === 0 ? "" : "/";
    const whole = /^\{(\*)?([A-Za-z_][\w]*)(?::([^=?}]+))?(\?)?(?:=([^}]*))?\}$/.exec(segment);
    if (whole) {
      const [, catchAll, name, constraint, question, defaultValue] = whole;
      const optional = Boolean(question) || defaultValue !== undefined || Boolean(catchAll);
      parameters.push({ name, optional, defaultValue });
      const pattern = catchAll ? ".*" : constraintPattern(constraint);
      source += optional ? `(?:${separator}(${pattern}))?` : `${separator}(${pattern})`;
      return;
    }
    // A segment that mixes literal text and parameters, e.g. "{name}.{ext}".
    source += separator;
    let rest = segment;
    while (rest.length) {
      const open = rest.indexOf("{");
      if (open < 0) {
        source += escape(rest);
        specificity += rest.length;
        break;
      }
      source += escape(rest.slice(0, open));
      specificity += open;
      const close = rest.indexOf("}", open);
      if (close < 0) throw new Error(`The route template "${templateInput}" has an unclosed "{".`);
      const [name, constraint] = rest
        .slice(open + 1, close)
        .replace(/\?$/, "")
        .split(":");
      parameters.push({ name, optional: false });
      source += `(${constraint ? constraintPattern(constraint) : "[^/]+?"})`;
      rest = rest.slice(close + 1);
    }
  });
  const regex = new RegExp(`${source}/?$`, "i");
  return {
    template,
    specificity,
    match(path: string) {
      const found = regex.exec(path.replace(/^\/+/, ""));
      if (!found) return undefined;
      const values: Record<string, string> = {};
      parameters.forEach((parameter, i) => {
        const raw = found[i + 1];
        if (raw !== undefined) values[parameter.name] = safeDecode(raw);
        else if (parameter.defaultValue !== undefined) values[parameter.name] = parameter.defaultValue;
      });
      return values;
    },
  };
}

function constraintPattern(constraint: string | undefined): string {
  if (!constraint) return "[^/]+";
  const first = constraint.split(":")[0].replace(/\(.*$/, "").toLowerCase();
  return CONSTRAINTS[first] ?? "[^/]+";
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
