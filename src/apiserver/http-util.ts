import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from './errors.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Decodes a request body as JSON, or YAML where the content type allows it. */
export function decodeBody(text: string, contentType: string): unknown {
  if (text.trim() === '') return undefined;
  const yaml = contentType.includes('yaml');
  try {
    return yaml ? (parseYaml(text) as unknown) : (JSON.parse(text) as unknown);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw badRequest(`error decoding ${yaml ? 'YAML' : 'JSON'}: ${reason}`);
  }
}

/** Marks pre-serialised JSON so that sendJson writes it as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = body instanceof RawJson ? body.text : JSON.stringify(body);
  response.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  response.end(text);
}

export function sendError(response: ServerResponse, error: ApiError): void {
  sendJson(response, error.code, error.toStatus());
}
