/**
 * Which journal records a database file still needs, and a refusal for anything that is not a clean journal: a bad
 * line anywhere, text at the end that is not a cut-short record, or sequence numbers that skip or go backwards.
 * Only a torn last write is dropped: it was never acknowledged.
 */
import { decodeJournalLine, isTornRecordPrefix, type JournalRecord } from "./journal-format";
import { toJournalRecord } from "./journal-record-validation";
import { damagedJournal } from "./store-errors";

export interface ReplayableRecord {
  record: JournalRecord;
  /** 1-based, among the journal's complete lines: for messages. */
  line: number;
  lineCount: number;
}

/**
 * @param appliedSeq the last record the database file holds (its checkpoint).
 * @returns the records after it, in order.
 */
export function recordsToReplay(text: string, appliedSeq: number, files: { journalPath: string; filePath: string }): ReplayableRecord[] {
  const damaged = (where: string, problem: string) => damagedJournal(files.journalPath, files.filePath, where, problem);
  // A file system can leave zeros after the last write when the machine stops; they are a torn write too.
  const lines = text.replace(/\0+$/, "").split("\n");
  const tail = lines.pop() ?? "";
  if (!isTornRecordPrefix(tail)) {
    const where = lines.length ? `after record ${lines.length}` : "at its start";
    throw damaged(where, `it ends with ${Buffer.byteLength(tail)} bytes that are not a journal record`);
  }
  const lineCount = lines.length;
  const replayable: ReplayableRecord[] = [];
  let previousSeq: number | undefined;
  for (let i = 0; i < lineCount; i++) {
    const at = `at record ${i + 1} of ${lineCount}`;
    const decoded = decodeJournalLine(lines[i]);
    if (!decoded.ok) throw damaged(at, decoded.problem);
    const record = toJournalRecord(decoded.value);
    if ("problem" in record) throw damaged(at, `it is not a batch this version can apply: ${record.problem}`);
    if (previousSeq !== undefined && record.seq !== previousSeq + 1) {
      throw damaged(at, `it has sequence number ${record.seq} after ${previousSeq} (each record must follow the one before)`);
    }
    if (previousSeq === undefined && record.seq > appliedSeq + 1) {
      throw damaged(
        at,
        `the journal begins at sequence number ${record.seq}, but ${files.filePath} holds records only up to ${appliedSeq}, so the ones between are missing (is the database file an older copy than the journal?)`,
      );
    }
    previousSeq = record.seq;
    if (record.seq > appliedSeq) replayable.push({ record, line: i + 1, lineCount });
  }
  return replayable;
}
