import { Option, type Command } from 'commander';
import { DEFAULT_EVENT_LOG, DEFAULT_PRICE_LIST, usageReport } from '../../metering/rating/report.js';
import type { StatementFormat } from '../../metering/rating/format.js';

interface ReportOptions {
  tenant: string;
  month: string;
  events: string;
  priceList: string;
  output: StatementFormat;
}

export function registerUsage(program: Command): void {
  const usage = program.command('usage').description('Metered usage: statements from the event log');
  usage
    .command('report')
    .description('Print a tenant’s monthly statement, priced from the usage event log')
    .requiredOption('--tenant <name>', 'the AgencyTenant')
    .requiredOption('--month <YYYY-MM>', 'UTC calendar month')
    .option('--events <file>', 'JSON-lines event log written by the file sink', DEFAULT_EVENT_LOG)
    .option('--price-list <file>', 'YAML with the PriceList(s) to apply', DEFAULT_PRICE_LIST)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action(async (options: ReportOptions) => {
      const report = await usageReport({
        tenant: options.tenant,
        month: options.month,
        eventLog: options.events,
        priceList: options.priceList,
        format: options.output,
      });
      for (const notice of report.notices) console.error(`statsmoln: ${notice}`);
      process.stdout.write(report.text);
    });
}
