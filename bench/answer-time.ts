/**
 * How long the platform process takes to answer, per server: from the moment Node has parsed a
 * request's headers to the moment the response is handed to the kernel. For a simulator call that
 * is the simulated latency plus how late its timer fired plus the handler, so a call's slot time in
 * the operator splits into this answer time and what lies outside it (the operator's event loop,
 * the kernel, and the platform's loop before it reads the request).
 * Uses Node's http diagnostics channels, so the simulators and the API server are not touched.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Side = 'api' | 'backends';

export interface AnswerTime {
  requests: number;
  meanMs: number;
}

interface ServerMessage {
  request: IncomingMessage;
  server: Server;
}

export class AnswerTimes {
  private readonly started = new WeakMap<IncomingMessage, number>();
  /** Each server's side, looked up once: `server.address()` is a getsockname system call. */
  private readonly sides = new WeakMap<Server, Side>();
  private totals = AnswerTimes.empty();

  private static empty(): Record<Side, { requests: number; ms: number }> {
    return { api: { requests: 0, ms: 0 }, backends: { requests: 0, ms: 0 } };
  }

  /** `apiPort` tells the API server's answers from the simulators'. Watches are streams, not answers, and are left out. */
  constructor(private readonly apiPort: number) {
    subscribe('http.server.request.start', (message) => {
      const { request } = message as ServerMessage;
      if (request.url?.includes('watch=true')) return;
      this.started.set(request, performance.now());
    });
    subscribe('http.server.response.finish', (message) => {
      const { request, server } = message as ServerMessage;
      const started = this.started.get(request);
      if (started === undefined) return;
      let side = this.sides.get(server);
      if (side === undefined) {
        side = (server.address() as AddressInfo | null)?.port === this.apiPort ? 'api' : 'backends';
        this.sides.set(server, side);
      }
      const total = this.totals[side];
      total.requests += 1;
      total.ms += performance.now() - started;
    });
  }

  reset(): void {
    this.totals = AnswerTimes.empty();
  }

  read(): Record<Side, AnswerTime> {
    const of = ({ requests, ms }: { requests: number; ms: number }): AnswerTime => ({ requests, meanMs: requests > 0 ? ms / requests : 0 });
    return { api: of(this.totals.api), backends: of(this.totals.backends) };
  }
}
