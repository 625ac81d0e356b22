import { Exact } from '../decimal.js';
import type { Statement } from './statement.js';

export type StatementFormat = 'table' | 'csv' | 'json';

/** Money for people: rounded half-to-even to öre. The JSON and CSV keep the exact amounts. */
function money(amount: string): string {
  return new Exact(amount).toDecimalPlaces(2, Exact.ROUND_HALF_EVEN).toFixed(2);
}

export function formatStatementTable(statement: Statement): string {
  const header = ['METER', 'DATA CENTER', 'QUANTITY', 'UNIT', 'UNIT PRICE', `AMOUNT (${statement.currency})`];
  const rows = statement.lines.map((line) => [line.meter, line.dataCenter, line.quantity, line.unit, line.unitPrice, money(line.amount)]);
  const footer: string[][] = [['Subtotal', '', '', '', '', money(statement.subtotal)]];
  for (const credit of statement.credits) footer.push([`Credit: ${credit.reason}`, '', '', '', '', `-${money(credit.amount)}`]);
  footer.push([`Total due`, '', '', '', '', statement.totalDue]);
  const all = [header, ...rows, ...footer];
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  const numeric = new Set([2, 4, 5]);
  const render = (row: string[]): string =>
    row
      .map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [
    `Statement for ${statement.tenant}, ${statement.month} (${statement.periodStart} to ${statement.periodEnd})`,
    `Price lists: ${statement.priceLists.join(', ') || '-'}; ${statement.events} usage events`,
    '',
    render(header),
    rule,
    ...rows.map(render),
    rule,
    ...footer.map(render),
    '',
  ].join('\n');
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function formatStatementCsv(statement: Statement): string {
  const rows = [['tenant', 'month', 'meter', 'dataCenter', 'quantity', 'unit', 'unitPrice', 'amount', 'currency', 'priceList']];
  for (const line of statement.lines) {
    rows.push([statement.tenant, statement.month, line.meter, line.dataCenter, line.quantity, line.unit, line.unitPrice, line.amount, statement.currency, line.priceList]);
  }
  for (const credit of statement.credits) {
    rows.push([statement.tenant, statement.month, `credit:${credit.reason}`, '', '', '', '', `-${credit.amount}`, statement.currency, '']);
  }
  rows.push([statement.tenant, statement.month, 'total', '', '', '', '', statement.total, statement.currency, '']);
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

export function formatStatement(statement: Statement, format: StatementFormat): string {
  if (format === 'json') return `${JSON.stringify(statement, null, 2)}\n`;
  if (format === 'csv') return formatStatementCsv(statement);
  return formatStatementTable(statement);
}
