/**
 * The emulator's time. On wall time timers fire when they are due; with time skipping, whenever nothing else can
 * run the clock jumps to the next due timer, so a 72-hour wait takes milliseconds and every episode still sees a
 * consistent `currentUtcDateTime`.
 */
export class Clock {
  private offsetMs = 0;
  private last = 0;

  constructor(
    readonly skipping: boolean,
    private readonly wallNow: () => number = Date.now,
  ) {}

  /** Epoch milliseconds; never goes backwards. */
  now(): number {
    const value = Math.max(this.wallNow() + this.offsetMs, this.last);
    this.last = value;
    return value;
  }

  /** Wall-clock epoch milliseconds, whatever the skipping. */
  wall(): number {
    return this.wallNow();
  }

  /** Moves time forward by `ms` in either mode (the debugger's `advance`): timers due by then fire. */
  advanceBy(ms: number): void {
    if (!(ms > 0)) throw new Error("The clock only moves forward: give a positive duration.");
    this.offsetMs += ms;
  }

  /** Moves virtual time forward to `target` (time-skipping mode only). */
  advanceTo(target: number): void {
    if (!this.skipping) throw new Error("The clock only skips ahead in time-skipping mode.");
    const now = this.now();
    if (target > now) this.offsetMs += target - now;
  }
}
