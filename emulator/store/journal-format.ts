/**
 * One journal line per committed batch: `<JSON of {seq, batch}>\t<CRC-32 of the JSON, hex>\n`. JSON.stringify never
 * writes a raw tab or newline, so both are unambiguous separators.
 */
import * as zlib from "node:zlib";
import type { StoreBatch } from "./store";

export interface JournalRecord {
  seq: number;
  batch: StoreBatch;
}

export function encodeJournalLine(record: JournalRecord): string {
  const body = JSON.stringify(record);
  return `${body}\t${checksum(body)}\n`;
}

export type DecodedLine = { ok: true; value: unknown } | { ok: false; problem: string };

/** Checks a complete line's checksum and JSON; the shape of what it holds is the caller's to check. */
export function decodeJournalLine(line: string): DecodedLine {
  const tab = line.lastIndexOf("\t");
  if (tab < 0) return { ok: false, problem: "it is not a journal record (no checksum)" };
  const body = line.slice(0, tab);
  if (checksum(body) !== line.slice(tab + 1)) return { ok: false, problem: "its checksum does not match" };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, problem: "its checksum matches but it is not JSON" };
  }
}

const RECORD_START = '{"seq":';

/**
 * Whether text after the last newline can be the start of a line whose write was cut short (by a kill, or because a
 * reader caught the writer mid-write): a prefix of a record, and if the cut fell in the checksum, a prefix of the
 * right one. Anything else there is damage, not a torn write.
 */
export function isTornRecordPrefix(tail: string): boolean {
  if (tail.length <= RECORD_START.length) return RECORD_START.startsWith(tail);
  if (!tail.startsWith(RECORD_START)) return false;
  const tab = tail.indexOf("\t");
  if (tab < 0) return true;
  return tail.indexOf("\t", tab + 1) < 0 && checksum(tail.slice(0, tab)).startsWith(tail.slice(tab + 1));
}

function checksum(body: string): string {
  return zlib.crc32(body).toString(16);
}
