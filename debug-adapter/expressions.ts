/**
 * Expressions in the watch, hover and debug console: property paths over the scopes (`history.length`,
 * `event.result.total`, `orchestration.pendingTasks[0].call`). A path language, not JavaScript: the values are data
 * from the history, and nothing the user types can run code in the debugger.
 */

export class ExpressionError extends Error {}

type Segment = { kind: "name"; name: string } | { kind: "index"; key: string | number };

function tokenize(expression: string): Segment[] {
  const segments: Segment[] = [];
  const text = expression.trim();
  let position = 0;
  const identifier = /[A-Za-z_$][\w$]*/y;
  const fail = (what: string) => {
    throw new ExpressionError(
      `Cannot read "${expression}": ${what} at column ${position + 1}. Use a path such as event.result.total, history[3].type or history.length.`,
    );
  };
  identifier.lastIndex = 0;
  const first = identifier.exec(text);
  if (!first) fail("expected a name");
  segments.push({ kind: "name", name: (first as RegExpExecArray)[0] });
  position = identifier.lastIndex;
  while (position < text.length) {
    const char = text[position];
    if (char === ".") {
      identifier.lastIndex = position + 1;
      const match = identifier.exec(text);
      if (!match) fail("expected a property name after '.'");
      segments.push({ kind: "name", name: (match as RegExpExecArray)[0] });
      position = identifier.lastIndex;
    } else if (char === "[") {
      const close = text.indexOf("]", position);
      if (close < 0) fail("missing ']'");
      const inner = text.slice(position + 1, close).trim();
      if (/^-?\d+$/.test(inner)) segments.push({ kind: "index", key: Number(inner) });
      else if (/^(["']).*\1$/.test(inner)) segments.push({ kind: "index", key: inner.slice(1, -1) });
      else fail("expected a number or a quoted key inside [ ]");
      position = close + 1;
    } else if (/\s/.test(char)) {
      position++;
    } else {
      fail(`unexpected '${char}'`);
    }
  }
  return segments;
}

export function evaluatePath(expression: string, roots: Record<string, unknown>): unknown {
  const segments = tokenize(expression);
  const [head, ...rest] = segments as [{ kind: "name"; name: string }, ...Segment[]];
  if (!(head.name in roots)) {
    throw new ExpressionError(`"${head.name}" is not defined here. Names you can use: ${Object.keys(roots).join(", ")}.`);
  }
  let value: unknown = roots[head.name];
  let shown = head.name;
  for (const segment of rest) {
    const key = segment.kind === "name" ? segment.name : segment.key;
    if (value === null || value === undefined)
      throw new ExpressionError(`${shown} is ${value === null ? "null" : "undefined"}, so it has no "${String(key)}".`);
    if (Array.isArray(value) && typeof key === "number" && key < 0) value = value[value.length + key];
    else if (typeof value === "object" || typeof value === "string")
      value = key === "length" && (Array.isArray(value) || typeof value === "string") ? value.length : (value as Record<string | number, unknown>)[key];
    else throw new ExpressionError(`${shown} is a ${typeof value}, so it has no "${String(key)}".`);
    shown += segment.kind === "name" ? `.${segment.name}` : `[${JSON.stringify(segment.key)}]`;
  }
  return value;
}
