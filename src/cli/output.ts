import { describeError } from './errors.js';

/** What a command produced: data for `--json`, text for people. */
export interface Outcome {
  readonly data: unknown;
  readonly human: string;
}

/** CloudHSM CLI's success shape. */
export function jsonSuccess(data: unknown): string {
  return JSON.stringify({ error_code: 0, data }, null, 2);
}

/** CloudHSM CLI's failure shape: `data` is "CODE: message". */
export function jsonFailure(error: unknown): string {
  const { code, message } = describeError(error);
  return JSON.stringify({ error_code: 1, data: `${code}: ${message}` }, null, 2);
}

export function humanFailure(error: unknown): string {
  const { code, message } = describeError(error);
  return `error: ${code}: ${message}`;
}

type Scalar = string | number | boolean | null | undefined;

/** Aligned `key: value` lines; undefined values are left out. */
export function keyValues(entries: ReadonlyArray<readonly [string, Scalar]>): string {
  const shown = entries.filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...shown.map(([name]) => name.length));
  return shown.map(([name, value]) => `${`${name}:`.padEnd(width + 2)}${String(value)}`).join('\n');
}

/** A plain text table with a header row. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly Scalar[]>): string {
  const cells = rows.map((row) => row.map((cell) => (cell === undefined || cell === null ? '' : String(cell))));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}
