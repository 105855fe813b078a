/** Figures the benchmarks produce, their targets, and the summary table. */

export interface Target {
  comparison: '>=' | '<=';
  limit: number;
}

export interface Figure {
  benchmark: string;
  name: string;
  value: number;
  /** How to print the value: a ratio, or a measured quantity shown for context. */
  unit: 'ratio' | 'ops/s' | 'items/s' | 'ms' | 'cores' | 'calls' | 'count' | 'MB';
  /** Absent for figures that are reported for information only. */
  target?: Target | undefined;
  note?: string | undefined;
}

export function passes(figure: Figure): boolean {
  const { target, value } = figure;
  if (!target) return true;
  return target.comparison === '>=' ? value >= target.limit : value <= target.limit;
}

export function formatTable(figures: readonly Figure[]): string {
  const header = ['benchmark', 'figure', 'value', 'target', 'result'];
  const rows = figures.map((figure) => [
    figure.benchmark,
    figure.name,
    formatValue(figure),
    figure.target ? `${figure.target.comparison} ${figure.target.limit}` : '',
    figure.target ? (passes(figure) ? 'PASS' : 'FAIL') : 'info',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const notes = figures.filter((figure) => figure.note).map((figure) => `  ${figure.name}: ${figure.note}`);
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line), ...notes].join(
    '\n',
  );
}

function formatValue(figure: Figure): string {
  switch (figure.unit) {
    case 'ratio':
      return figure.value.toFixed(2);
    case 'ms':
      return `${figure.value.toFixed(1)} ms`;
    case 'cores':
    case 'calls':
    case 'count':
      return String(figure.value);
    case 'MB':
      return `${figure.value.toFixed(0)} MB`;
    default:
      return `${figure.value.toFixed(1)} ${figure.unit}`;
  }
}

/** Progress lines go to stderr so that stdout holds only the summary. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}
