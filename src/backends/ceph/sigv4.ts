import aws4 from 'aws4';
import type { OutgoingRequest } from './transport.js';

export interface SigV4Credentials {
  accessKey: string;
  secretKey: string;
}

/**
 * AWS Signature Version 4 headers for a request, signed with `aws4` as service `s3`.
 * RGW accepts any region name for admin ops; `region` is part of the credential scope only.
 */
export function signSigV4(
  outgoing: OutgoingRequest,
  credentials: SigV4Credentials,
  region = 'us-east-1',
  date?: Date,
): Record<string, string> {
  const headers: Record<string, string> = { ...outgoing.headers };
  if (date) headers['X-Amz-Date'] = date.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const signed = aws4.sign(
    {
      host: outgoing.url.host,
      method: outgoing.method,
      path: `${outgoing.url.pathname}${outgoing.url.search}`,
      service: 's3',
      region,
      headers,
      ...(outgoing.body === undefined ? {} : { body: outgoing.body }),
    },
    { accessKeyId: credentials.accessKey, secretAccessKey: credentials.secretKey },
  );
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers ?? {})) {
    // fetch sets Host itself (to the same value); the rest were signed and must be sent as is.
    if (name.toLowerCase() === 'host' || value === undefined) continue;
    result[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return result;
}
