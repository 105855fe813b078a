import { UsageError } from '../common/errors.ts';
import type { OutputFormat } from '../manifests/encode.ts';

/** `-o/--format`: json or yaml, in any letter case (as kubeseal). */
export function parseOutputFormat(value: string): OutputFormat {
  const format = value.toLowerCase();
  if (format === 'json' || format === 'yaml') return format;
  throw new UsageError(`unsupported output format: ${value} (use json or yaml)`);
}

/** How to name one object of an input stream in messages: the source, and its position when there are several. */
export function documentName(source: string, index: number, count: number): string {
  return count > 1 ? `${source} (document ${index + 1})` : source;
}
