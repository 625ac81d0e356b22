import { createHash } from 'node:crypto';
import { CloudEvent, type CloudEventV1 } from 'cloudevents';
import { normalizeRecord, unitOfMeter, type UsageRecord } from './record.js';
import { windowEndIso } from './windows.js';

export const USAGE_EVENT_TYPE = 'io.statsmoln.usage.v1';
export const LIFECYCLE_EVENT_TYPE = 'io.statsmoln.lifecycle.v1';
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';

/** `data` of a usage event: the record plus its window end and unit. */
export interface UsageEventData extends UsageRecord {
  windowEnd: string;
  unit: string;
}

export type LifecycleAction = 'started' | 'stopped';

/** A billable resource starting or stopping; billing uses it to explain the hourly records. */
export interface LifecycleRecord {
  tenant: string;
  dataCenter: string;
  environment: string;
  /** The kind of billable resource, e.g. `server`, `volume`, `floatingip`. */
  resourceKind: string;
  resource: string;
  action: LifecycleAction;
  /** When the backend reports the transition (ISO 8601 UTC). */
  at: string;
}

export interface EventSource {
  /** CloudEvents `source`, e.g. `/statsmoln/<installation>`. */
  source: string;
}

/** Deterministic id: a hash of the key fields, joined unambiguously (JSON array). */
export function eventId(kind: string, keys: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([kind, ...keys])).digest('hex').slice(0, 40);
}

export function usageEventId(record: UsageRecord): string {
  return canonicalUsageEventId(normalizeRecord(record));
}

function canonicalUsageEventId(canonical: UsageRecord): string {
  return eventId('usage', [
    canonical.tenant,
    canonical.dataCenter,
    canonical.environment,
    canonical.meter,
    canonical.resource,
    canonical.windowStart,
  ]);
}

/** The attributes of a usage record's CloudEvent, in the order the SDK's structured JSON has them. */
function usageAttributes(record: UsageRecord, source: string): CloudEventV1<UsageEventData> {
  const canonical = normalizeRecord(record);
  const windowEnd = windowEndIso(canonical.windowStart);
  return {
    id: canonicalUsageEventId(canonical),
    time: windowEnd,
    type: USAGE_EVENT_TYPE,
    source,
    specversion: '1.0',
    datacontenttype: 'application/json',
    subject: canonical.tenant,
    data: { ...canonical, windowEnd, unit: unitOfMeter(canonical.meter) },
  };
}

/** Builds the CloudEvent 1.0 of one usage record; the same record always gives the same event. */
export function usageEvent(record: UsageRecord, options: EventSource): CloudEvent<UsageEventData> {
  return new CloudEvent<UsageEventData>(usageAttributes(record, options.source));
}

/**
 * `toStructuredJson(usageEvent(record, options))`, byte for byte, without the SDK object and its
 * schema check per event: every attribute but `source` comes from the validated record, so a
 * caller checks its source once with `assertValidSource`. Collectors emit thousands an hour.
 */
export function usageEventJson(record: UsageRecord, options: EventSource): string {
  return JSON.stringify(usageAttributes(record, options.source));
}

/** Throws the SDK's ValidationError unless `source` is a valid CloudEvents source (a URI reference). */
export function assertValidSource(source: string): void {
  new CloudEvent({ id: 'source-check', type: USAGE_EVENT_TYPE, source, specversion: '1.0' }, false).validate();
}

export function lifecycleEvent(record: LifecycleRecord, options: EventSource): CloudEvent<LifecycleRecord> {
  const at = new Date(record.at);
  if (Number.isNaN(at.getTime())) throw new RangeError(`lifecycle time must be ISO 8601, got ${JSON.stringify(record.at)}`);
  if (record.action !== 'started' && record.action !== 'stopped') throw new RangeError('action must be started or stopped');
  const canonical: LifecycleRecord = { ...record, at: at.toISOString() };
  return new CloudEvent<LifecycleRecord>({
    specversion: '1.0',
    id: eventId('lifecycle', [
      canonical.tenant,
      canonical.dataCenter,
      canonical.environment,
      canonical.resourceKind,
      canonical.resource,
      canonical.action,
      canonical.at,
    ]),
    type: LIFECYCLE_EVENT_TYPE,
    source: options.source,
    subject: canonical.tenant,
    time: canonical.at,
    datacontenttype: 'application/json',
    data: canonical,
  });
}

/** The structured-mode JSON of an event (one line, as stored in the outbox and the file sink). */
export function toStructuredJson(event: CloudEvent<unknown>): string {
  return JSON.stringify(event);
}

/** The attributes every sink needs without re-validating the whole event. */
export interface EventEnvelope {
  id: string;
  source: string;
  type: string;
  subject?: string;
}

export function readEnvelope(json: string): EventEnvelope {
  const parsed = JSON.parse(json) as Partial<EventEnvelope>;
  if (typeof parsed.id !== 'string' || typeof parsed.source !== 'string' || typeof parsed.type !== 'string') {
    throw new TypeError('not a structured CloudEvent: id, source and type are required');
  }
  return { id: parsed.id, source: parsed.source, type: parsed.type, subject: typeof parsed.subject === 'string' ? parsed.subject : undefined };
}
