import http from 'node:http';
import https from 'node:https';

/** TLS settings for one backend: a CA bundle (PEM) and whether to verify the server certificate. */
export interface TlsOptions {
  ca?: string;
  rejectUnauthorized?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** Deadline for the whole exchange, response body included. */
  timeoutMs: number;
  /** Cancels the exchange. */
  signal?: AbortSignal;
}

/** The exchange did not finish within `timeoutMs`. */
export class SendTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no response within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

/** The caller's signal aborted the exchange. */
export class SendAbortedError extends Error {
  constructor() {
    super('request aborted');
    this.name = 'AbortError';
  }
}

/**
 * Sends one HTTP request over node:http(s) with keep-alive agents. node:https is used instead of
 * fetch because fetch in Node 20 cannot take a per-client CA bundle or disable verification. The
 * deadline is one timer and cancellation one listener: AbortSignal.timeout, AbortSignal.any and
 * node:http's `signal` option cost several times that per request, which adds up at a thousand
 * calls a second.
 */
export class Transport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(tls: TlsOptions = {}, maxSockets = 64) {
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets,
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
    });
  }

  send(req: RawRequest): Promise<RawResponse> {
    const isHttps = req.url.protocol === 'https:';
    const lib = isHttps ? https : http;
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const cancel = req.signal;
    if (cancel?.aborted) return Promise.reject(new SendAbortedError());
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | undefined, response?: RawResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        cancel?.removeEventListener('abort', onCancel);
        if (error) {
          outgoing.destroy();
          reject(error);
        } else resolve(response!);
      };
      const onCancel = (): void => settle(new SendAbortedError());
      const outgoing = lib.request(req.url, { method: req.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => settle(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => settle(error));
        res.on('aborted', () => settle(new Error('response aborted')));
      });
      const timer = setTimeout(() => settle(new SendTimeoutError(req.timeoutMs)), req.timeoutMs);
      timer.unref();
      cancel?.addEventListener('abort', onCancel, { once: true });
      outgoing.on('error', (error) => settle(error));
      // With content-length set, end(body) sends headers and body in one write.
      outgoing.end(req.body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
