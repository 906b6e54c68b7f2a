/**
 * The conformance tables of docs/fidelity.md (the HTTP API's, the runtime's): built from the cases a test ran, printed,
 * and compared with the table between its markers in the doc, so the doc cannot drift from what is measured.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";

export interface ConformanceCase {
  area: string;
  /** Set when the emulator knowingly differs from Azure here (a documented difference). */
  differs?: unknown;
}

/** `| Area | Cases | Match |`, one row per area and a bold total row named `totalLabel`. */
export function conformanceTable(areas: readonly string[], cases: readonly ConformanceCase[], totalLabel: string): string {
  const matching = (list: readonly ConformanceCase[]) => list.filter((c) => !c.differs).length;
  const rows = areas.map((area) => {
    const inArea = cases.filter((c) => c.area === area);
    return `| ${area} | ${inArea.length} | ${matching(inArea)} |`;
  });
  const total = `| **${totalLabel}** | **${cases.length}** | **${matching(cases)}** |`;
  return ["| Area | Cases | Match |", "| --- | --- | --- |", ...rows, total].join("\n");
}

/** Prints the table and fails when the doc's copy between the markers is not the same. */
export function assertDocTable(doc: string, markers: { start: string; end: string }, table: string, what: string): void {
  console.log(`\n${table.replace(/^/gm, "      ")}\n`);
  const text = fs.readFileSync(doc, "utf8");
  const start = text.indexOf(markers.start);
  const end = text.indexOf(markers.end);
  assert.ok(start >= 0 && end > start, `${doc} has the table markers`);
  assert.equal(
    text.slice(start + markers.start.length, end).trim(),
    table,
    `docs/fidelity.md's ${what} is out of date: paste the table printed above between its markers`,
  );
}
