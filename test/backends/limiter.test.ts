import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransport } from '../../src/backends/ceph/transport.js';
import { ConcurrencyLimiter, HttpClient } from '../../src/backends/http/index.js';

/** A deferred task the test finishes by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('ConcurrencyLimiter', () => {
  it('runs at most `limit` tasks at once, first come first served', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((entry, index) =>
      limiter.run(async () => {
        started.push(index);
        await entry.promise;
        return index;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    expect([limiter.inFlight, limiter.waiting]).toEqual([2, 2]);
    gates[1]!.open();
    await runs[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    for (const entry of gates) entry.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect([limiter.inFlight, limiter.waiting, limiter.peakInFlight, limiter.finished]).toEqual([0, 0, 2, 4]);
    expect(limiter.heldMs).toBeGreaterThan(0);
  });

  it('frees the slot when a task fails, and drops a waiter whose signal aborts', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const holder = gate();
    const held = limiter.run(() => holder.promise);
    const cancel = new AbortController();
    let ran = false;
    const waiting = limiter.run(async () => {
      ran = true;
    }, cancel.signal);
    cancel.abort(new Error('reconcile cancelled'));
    await expect(waiting).rejects.toThrow('reconcile cancelled');
    expect(limiter.waiting).toBe(0);
    holder.open();
    await held;
    expect(ran).toBe(false);
    expect(limiter.inFlight).toBe(0);
  });

  it('refuses a limit that is not a whole number >= 1', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow('backend concurrency must be a whole number >= 1, got 0');
  });
});

describe('HttpClient with a shared limiter', () => {
  let server: Server;
  let url: string;
  let inFlight = 0;
  let peak = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, 60);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('keeps an OpenStack and a Ceph client together within the limit, and a timeout counts from holding a slot', async () => {
    const limiter = new ConcurrencyLimiter(3);
    const openstack = new HttpClient({ service: 'test', limiter, timeoutMs: 150 });
    const ceph = new HttpTransport({ service: 'ceph-test', baseUrl: url, limiter, timeoutMs: 150, retries: 0 });
    const clients = [openstack];
    try {
      // 12 requests of 60 ms through 3 slots take about 240 ms: longer than the 150 ms timeout,
      // which none of them hits because each waits for its slot first.
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? openstack.request({ method: 'GET', url: `${url}/x` }) : ceph.request({ method: 'GET', path: 'x' }))),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(12).fill(200));
      expect(peak).toBe(3);
      expect(limiter.peakInFlight).toBe(3);
    } finally {
      for (const client of clients) client.close();
    }
  });
});
