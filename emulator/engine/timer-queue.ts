/** Pending timer messages ordered by due time (a binary min-heap). */
import type { PendingMessage } from "../store/store";

export class TimerQueue {
  private readonly heap: PendingMessage[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(message: PendingMessage): void {
    const heap = this.heap;
    heap.push(message);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (due(heap[parent]) <= due(heap[i])) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  peekDue(): number | undefined {
    return this.heap.length ? due(this.heap[0]) : undefined;
  }

  /** The messages due at or before `time`, left in the queue. */
  dueBy(time: number): PendingMessage[] {
    return this.heap.filter((message) => due(message) <= time);
  }

  /** Removes and returns every message due at or before `now`, earliest first. */
  popDue(now: number): PendingMessage[] {
    const result: PendingMessage[] = [];
    while (this.heap.length && due(this.heap[0]) <= now) result.push(this.pop());
    return result;
  }

  /** Removes the messages that match (used when an instance ends or resets). Returns what was removed. */
  removeWhere(predicate: (message: PendingMessage) => boolean): PendingMessage[] {
    const kept = this.heap.filter((message) => !predicate(message));
    const removed = this.heap.filter(predicate);
    this.heap.length = 0;
    for (const message of kept) this.push(message);
    return removed;
  }

  private pop(): PendingMessage {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as PendingMessage;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && due(heap[left]) < due(heap[smallest])) smallest = left;
        if (right < heap.length && due(heap[right]) < due(heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i], heap[smallest]];
        i = smallest;
      }
    }
    return top;
  }
}

function due(message: PendingMessage): number {
  return message.visibleAt ?? 0;
}
