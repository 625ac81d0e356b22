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
  private readonly totals = new Map<'api' | 'backends', { requests: number; ms: number }>();

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
      const side = (server.address() as AddressInfo | null)?.port === this.apiPort ? 'api' : 'backends';
      const total = this.totals.get(side) ?? { requests: 0, ms: 0 };
      total.requests += 1;
      total.ms += performance.now() - started;
      this.totals.set(side, total);
    });
  }

  reset(): void {
    this.totals.clear();
  }

  read(): Record<'api' | 'backends', AnswerTime> {
    const of = (side: 'api' | 'backends'): AnswerTime => {
      const total = this.totals.get(side) ?? { requests: 0, ms: 0 };
      return { requests: total.requests, meanMs: total.requests > 0 ? total.ms / total.requests : 0 };
    };
    return { api: of('api'), backends: of('backends') };
  }
}
