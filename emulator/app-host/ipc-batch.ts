/**
 * Sending a batch of messages over the IPC channel without letting one message take the channel (or the process)
 * down. Node serialises a message with JSON.stringify inside `send`, so a value JSON cannot hold (a BigInt, a cycle,
 * nesting deep enough to overflow the stack) throws there, synchronously; and a send to a process that just died
 * fails later with EPIPE. The happy path costs nothing extra: only a batch that failed to serialise is retried
 * message by message, and a message that still fails is replaced by what `replace` makes of it.
 */
export type SendFunction<T> = (batch: T[], callback: (error: Error | null) => void) => boolean;

export function sendBatch<T>(
  send: SendFunction<T>,
  batch: T[],
  replace: (message: T, error: Error) => T | undefined,
  onChannelError: (error: Error) => void,
): void {
  const callback = (error: Error | null) => error && onChannelError(error);
  try {
    send(batch, callback);
    return;
  } catch (error) {
    if (!isSerializationError(error)) throw error;
  }
  const sendable: T[] = [];
  for (const message of batch) {
    try {
      JSON.stringify(message);
      sendable.push(message);
    } catch (error) {
      const replacement = replace(message, error as Error);
      if (replacement !== undefined) sendable.push(replacement);
    }
  }
  if (sendable.length) send(sendable, callback);
}

function isSerializationError(error: unknown): error is Error {
  return error instanceof TypeError || error instanceof RangeError;
}

/** "it holds a BigInt" rather than V8's wording, which differs between versions. */
export function describeSerializationError(error: Error): string {
  if (error instanceof RangeError) return "it is nested too deeply to convert to JSON";
  if (/BigInt/i.test(error.message)) return `it holds a BigInt, which JSON cannot represent (${error.message})`;
  if (/circular/i.test(error.message)) return `it refers to itself (${error.message.split("\n")[0]})`;
  return error.message;
}
