/** Plain-text output shared by the benchmarks: a header about the machine and aligned tables. */
import os from 'node:os';

export interface Column<Row> {
  readonly header: string;
  /** Numbers read best right-aligned; text left-aligned (the default). */
  readonly align?: 'left' | 'right';
  readonly cell: (row: Row) => string;
}

export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => line[i]!.length)));
  const format = (values: readonly string[]) =>
    values
      .map((value, i) => (columns[i]!.align === 'right' ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(format)].join('\n');
}

/** "Label: value" lines with the values aligned. */
export function renderFacts(facts: Readonly<Record<string, string>>): string {
  const width = Math.max(...Object.keys(facts).map((label) => label.length)) + 1;
  return Object.entries(facts)
    .map(([label, value]) => `${`${label}:`.padEnd(width)} ${value}`)
    .join('\n');
}

/** What a reader needs to compare figures from two machines. */
export function machineFacts(): Record<string, string> {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown';
  return {
    CPUs: `${cpus.length} × ${model}`,
    Memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    OS: `${os.type()} ${os.release()} (${os.arch()})`,
    Node: process.version,
    // Anything else busy on the machine skews every figure; this makes it visible.
    'Load average': os.loadavg().map((l) => l.toFixed(2)).join(' ') + ' (1, 5, 15 min, at start)',
  };
}

export function formatNumber(value: number, fractionDigits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

const PINO_LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** One short line for a log line: pino JSON becomes "level: msg (err.message)"; anything else is cut to fit. */
export function summarizeLogLine(line: string, width = 200): string {
  let text = line;
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
    if (typeof entry === 'object' && entry !== null && entry.msg !== undefined) {
      const level = entry.level === undefined ? 'log' : (PINO_LEVELS[entry.level] ?? String(entry.level));
      text = `${level}: ${entry.msg}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
    }
  } catch {
    // Not JSON: shown as it is.
  }
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
