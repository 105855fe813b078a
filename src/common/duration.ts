import { UsageError } from './errors.ts';

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};
const TERM = /^(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/;

/** Milliseconds in a Go duration string ("87600h", "1m30s", "500ms"); `flag` names the option in errors. */
export function parseGoDuration(value: string, flag: string): number {
  let rest = value.trim();
  const negative = rest.startsWith('-');
  if (negative || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return 0;
  if (rest === '') throw invalid(value, flag);
  let total = 0;
  while (rest.length > 0) {
    const match = TERM.exec(rest);
    if (!match) throw invalid(value, flag);
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return negative ? -total : total;
}

function invalid(value: string, flag: string): UsageError {
  return new UsageError(
    `invalid duration "${value}" for ${flag}: use a Go duration such as 30s, 15m or 720h`,
  );
}
