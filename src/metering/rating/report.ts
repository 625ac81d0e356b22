import { readUsageEventLog, type EventLogSummary } from './event-log.js';
import { formatStatement, type StatementFormat } from './format.js';
import { loadPriceLists } from './price-lists.js';
import { buildStatement, type Statement } from './statement.js';

/** Where local mode's file sink writes the event log. */
/** Where `statsmoln local` (npm start) has its file sink write. */
export const DEFAULT_EVENT_LOG = '.statsmoln/usage-events.jsonl';
/** The published example price list, used when no other is given. */
export const DEFAULT_PRICE_LIST = 'examples/platform/pricelist.yaml';

export interface UsageReportOptions {
  tenant: string;
  month: string;
  eventLog: string;
  priceList: string;
  format: StatementFormat;
}

export interface UsageReport {
  statement: Statement;
  text: string;
  log: Omit<EventLogSummary, 'usage'>;
  /** Things the reader should know about the event log (duplicates dropped, a torn final line). */
  notices: string[];
}

export async function usageReport(options: UsageReportOptions): Promise<UsageReport> {
  const priceLists = await loadPriceLists(options.priceList);
  const log = await readUsageEventLog(options.eventLog, (record) => record.tenant === options.tenant);
  const statement = buildStatement({ tenant: options.tenant, month: options.month, usage: log.usage, priceLists });
  const notices: string[] = [];
  if (log.duplicates > 0) notices.push(`${log.duplicates} duplicate events (same source and id) were counted once`);
  if (log.conflictingDuplicates > 0) {
    notices.push(`${log.conflictingDuplicates} duplicates carried different data than their first copy; the first copy was used`);
  }
  if (log.tornFinalLine) notices.push(`the last line of ${options.eventLog} is incomplete (a writer crashed) and was ignored`);
  const { usage: _usage, ...rest } = log;
  return { statement, text: formatStatement(statement, options.format), log: rest, notices };
}
