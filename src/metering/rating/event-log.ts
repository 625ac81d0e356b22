import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { normalizeRecord, type UsageRecord } from '../record.js';
import { USAGE_EVENT_TYPE } from '../events.js';

/** A usage event read back from an event log, reduced to what rating needs. */
export interface LoggedUsage extends UsageRecord {
  id: string;
  source: string;
}

export interface EventLogSummary {
  usage: LoggedUsage[];
  /** Lines that repeated an earlier (source, id): dropped, as CloudEvents consumers must. */
  duplicates: number;
  /** Duplicates whose data differed from the first copy (the first copy counts). */
  conflictingDuplicates: number;
  /** Events of other types (lifecycle events, for example). */
  otherEvents: number;
  /** A final line cut short by a crash of the writer, ignored. */
  tornFinalLine: boolean;
}

export class EventLogError extends Error {
  override name = 'EventLogError';
}

interface StructuredEvent {
  id?: unknown;
  source?: unknown;
  type?: unknown;
  data?: unknown;
}

/** Collects usage events from JSON lines, de-duplicated on (source, id), keeping the first copy. */
export class UsageEventCollector {
  private readonly seen = new Map<string, string>();
  private readonly summary: EventLogSummary = { usage: [], duplicates: 0, conflictingDuplicates: 0, otherEvents: 0, tornFinalLine: false };
  private pendingBadLine: { number: number; message: string } | undefined;

  constructor(
    private readonly origin: string,
    private readonly keep: (record: UsageRecord) => boolean = () => true,
  ) {}

  addLine(line: string, number: number): void {
    if (this.pendingBadLine) throw new EventLogError(`${this.origin}:${this.pendingBadLine.number}: ${this.pendingBadLine.message}`);
    if (line.trim() === '') return;
    let event: StructuredEvent;
    try {
      event = JSON.parse(line) as StructuredEvent;
    } catch (error) {
      // Only the final line may be torn; decide when we know whether another line follows.
      this.pendingBadLine = { number, message: `not JSON: ${(error as Error).message}` };
      return;
    }
    if (typeof event.id !== 'string' || typeof event.source !== 'string' || typeof event.type !== 'string') {
      throw new EventLogError(`${this.origin}:${number}: not a structured CloudEvent (id, source, type)`);
    }
    if (event.type !== USAGE_EVENT_TYPE) {
      this.summary.otherEvents += 1;
      return;
    }
    const key = `${event.source}\u0000${event.id}`;
    const dataText = JSON.stringify(event.data);
    const earlier = this.seen.get(key);
    if (earlier !== undefined) {
      this.summary.duplicates += 1;
      if (earlier !== dataText) this.summary.conflictingDuplicates += 1;
      return;
    }
    this.seen.set(key, dataText);
    let record: UsageRecord;
    try {
      record = normalizeRecord(event.data as UsageRecord);
    } catch (error) {
      throw new EventLogError(`${this.origin}:${number}: ${(error as Error).message}`);
    }
    if (this.keep(record)) this.summary.usage.push({ ...record, id: event.id, source: event.source });
  }

  finish(): EventLogSummary {
    if (this.pendingBadLine) this.summary.tornFinalLine = true;
    return this.summary;
  }
}

export function readUsageEventsFromText(text: string, origin = 'events', keep?: (record: UsageRecord) => boolean): EventLogSummary {
  const collector = new UsageEventCollector(origin, keep);
  text.split('\n').forEach((line, index) => collector.addLine(line, index + 1));
  return collector.finish();
}

/** Streams a JSON-lines event log (the file sink's output). */
export async function readUsageEventLog(path: string, keep?: (record: UsageRecord) => boolean): Promise<EventLogSummary> {
  const collector = new UsageEventCollector(path, keep);
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) collector.addLine(line, ++number);
  return collector.finish();
}
