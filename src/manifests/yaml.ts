import { createRequire } from 'node:module';
import type * as YamlLibrary from 'yaml';

let library: typeof YamlLibrary | undefined;

/**
 * The `yaml` library, loaded on first use. Loading it costs about 13 ms, a tenth of a whole `cloak seal`, so runs
 * that read and write only JSON never pay for it. Its Node entry point is CommonJS, which can load synchronously
 * and keeps the functions that use it synchronous.
 */
export function yaml(): typeof YamlLibrary {
  library ??= createRequire(import.meta.url)('yaml') as typeof YamlLibrary;
  return library;
}
