/** The condition the extension gives js-debug's breakpoints so they skip replayed orchestrator code. */
import { strict as assert } from "node:assert";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { NOT_REPLAYING, guardBreakpoint, guardSetBreakpoints } from "../../extension/debug/replay-guard";

/** Evaluates a condition as V8 would at a breakpoint, with `replaying` as the app host's global says. */
function stops(condition: string | undefined, replaying: boolean | undefined, locals: Record<string, unknown> = {}): boolean {
  if (!condition) return true;
  const global = replaying === undefined ? {} : { __durableDevkit: { replaying } };
  const body = `with (locals) { return (${condition}\n); }`;

  return Boolean(new Function("globalThis", "locals", body)(global, locals));
}

describe("JavaScript breakpoints that skip replays", () => {
  it("a plain breakpoint stops where code runs for the first time, and outside the app host", () => {
    const { condition } = guardBreakpoint({ line: 3 });
    assert.equal(condition, NOT_REPLAYING);
    assert.equal(stops(condition, false), true);
    assert.equal(stops(condition, true), false);
    assert.equal(stops(condition, undefined), true, "no global: another Node program");
  });

  it("keeps the user's condition, ANDed after the replay check, even one ending in a line comment", () => {
    const { condition } = guardBreakpoint({ line: 3, condition: "  city === 'Tokyo' // the first one " });
    assert.equal(stops(condition, false, { city: "Tokyo" }), true);
    assert.equal(stops(condition, false, { city: "Lima" }), false);
    assert.equal(stops(condition, true, { city: "Tokyo" }), false);
    assert.equal(stops(guardBreakpoint({ line: 3, condition: "city === 'Tokyo';" }).condition, false, { city: "Tokyo" }), true, "a trailing semicolon");
    // In a replay the user's expression is not evaluated at all (it may have side effects).
    let evaluated = 0;
    const counted = guardBreakpoint({ line: 3, condition: "count()" }).condition;
    stops(counted, true, { count: () => ++evaluated });
    assert.equal(evaluated, 0);
  });

  it("leaves logpoints and hit counts without a condition alone: js-debug would ignore them once one is set", () => {
    const logpoint: DebugProtocol.SourceBreakpoint = { line: 3, logMessage: "city {city}" };
    const hits: DebugProtocol.SourceBreakpoint = { line: 3, hitCondition: ">2" };
    assert.equal(guardBreakpoint(logpoint), logpoint);
    assert.equal(guardBreakpoint(hits), hits);
    // With a condition js-debug already ignores them: the condition is guarded as any other.
    assert.match(guardBreakpoint({ line: 3, logMessage: "x", condition: "a" }).condition ?? "", /^!globalThis\.__durableDevkit\?\.replaying && \(a\n\)$/);
  });

  it("rewrites setBreakpoints requests in place, once, and nothing else", () => {
    const request = {
      seq: 4,
      type: "request",
      command: "setBreakpoints",
      arguments: { source: { path: "/app/src/chain.js" }, breakpoints: [{ line: 3 }, { line: 7, condition: "i > 1" }] },
    };
    assert.equal(guardSetBreakpoints(request), true);
    assert.deepEqual(
      request.arguments.breakpoints.map((bp) => bp.condition),
      [NOT_REPLAYING, `${NOT_REPLAYING} && (i > 1\n)`],
    );
    guardSetBreakpoints(request);
    assert.deepEqual(
      request.arguments.breakpoints.map((bp) => bp.condition),
      [NOT_REPLAYING, `${NOT_REPLAYING} && (i > 1\n)`],
      "a second pass changes nothing",
    );
    const other = { seq: 5, type: "request", command: "setFunctionBreakpoints", arguments: { breakpoints: [{ name: "f" }] } };
    assert.equal(guardSetBreakpoints(other), false);
    assert.deepEqual(other.arguments.breakpoints, [{ name: "f" }]);
    assert.equal(guardSetBreakpoints({ type: "event", event: "stopped" }), false);
    assert.equal(guardSetBreakpoints({ type: "request", command: "setBreakpoints", arguments: { source: {}, lines: [3] } }), false);
  });
});
