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
  signal: AbortSignal;
}

/**
 * Sends one HTTP request over node:http(s) with keep-alive agents. node:https is used instead of
 * fetch because fetch in Node 20 cannot take a per-client CA bundle or disable verification.
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
    return new Promise<RawResponse>((resolve, reject) => {
      const outgoing = lib.request(
        req.url,
        { method: req.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent, signal: req.signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
          res.on('aborted', () => reject(new Error('response aborted')));
        },
      );
      outgoing.on('error', reject);
      // With content-length set, end(body) sends headers and body in one write.
      outgoing.end(req.body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
