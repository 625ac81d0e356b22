import { kindForStatus, type ErrorInterpretation } from '../http/index.js';

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the error bodies of OpenStack services:
 * keystone `{"error":{"code","title","message"}}`, nova/cinder `{"itemNotFound":{"code","message"}}`
 * (and `badRequest`, `forbidden`, `overLimit`, `conflictingRequest`, `computeFault`, ...), neutron
 * `{"NeutronError":{"type","message","detail"}}`, and plain text from WSGI middleware.
 */
export function interpretOpenStackError(status: number, body: unknown, text: string): ErrorInterpretation {
  let message: string;
  let serviceType: string | undefined;
  if (isDict(body)) {
    const neutron = body.NeutronError;
    if (isDict(neutron)) {
      message = typeof neutron.message === 'string' ? neutron.message : '';
      serviceType = typeof neutron.type === 'string' ? neutron.type : undefined;
    } else {
      const [key] = Object.keys(body);
      const inner = key === undefined ? undefined : body[key];
      if (isDict(inner) && typeof inner.message === 'string') {
        message = inner.message;
        serviceType = key === 'error' ? (typeof inner.title === 'string' ? inner.title : undefined) : key;
      } else if (typeof body.message === 'string') {
        message = body.message;
      } else {
        message = JSON.stringify(body);
      }
    }
  } else {
    message = text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  }
  if (!message) message = `HTTP ${status}`;

  let kind = kindForStatus(status);
  if (status === 403 && /quota exceeded|exceeds? .*quota/i.test(message)) kind = 'OverQuota';
  if (status === 409 && serviceType === 'OverQuota') kind = 'OverQuota';
  if (status === 413 && serviceType !== undefined && serviceType !== 'overLimit' && !/quota/i.test(message)) {
    kind = 'BadRequest'; // 413 without a quota meaning: request entity too large
  }
  return { kind, message, ...(serviceType !== undefined ? { serviceType } : {}) };
}
