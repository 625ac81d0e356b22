/**
 * Reads until `accept` holds or `timeoutMs` passes, `intervalMs` apart; on timeout the error names
 * what was awaited and the last value read. The one polling wait of the tests that watch
 * reconciles converge (the real-service suites wait longer, from test/real/support/env.ts).
 */
export async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

/** Calls `check` until it returns a value (not undefined) or `timeoutMs` passes, `intervalMs` apart. */
export async function eventuallyDefined<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
