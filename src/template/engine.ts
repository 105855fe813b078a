/**
 * The engine's entry points: parse (cached per template text) and render. Pure: text, data and options in,
 * bytes or a TemplateError out.
 *
 * Parsing is cached because the same templates are rendered over and over (every reconcile of an
 * ExternalSecret renders its template again). Entries are keyed by the function set (a parse depends on which
 * function names exist), the template name, the delimiters and the text; the least recently used entries go
 * first. Parse errors are cached too.
 */
import { TemplateParseError } from './errors.ts';
import { DEFAULT_EXEC_LIMITS, executeTemplates, type ExecLimits, type MissingKey } from './exec.ts';
import { NO_FUNCTIONS, type FunctionSet } from './functions.ts';
import { builtinFunction } from './builtins.ts';
import { parseTemplates, type ParsedTemplates } from './parser.ts';
import {
  byteStringFromBytes,
  byteStringFromText,
  bytesFromByteString,
  type ByteString,
} from '../common/go-utf8.ts';
import type { GoValue } from './values.ts';

export interface TemplateLimits extends ExecLimits {
  /** Nesting of control actions and parentheses accepted by the parser. */
  readonly maxNesting: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = { ...DEFAULT_EXEC_LIMITS, maxNesting: 500 };

export interface TemplateSource {
  /** The template's name, as Go's template.New(name): it appears in every error message. */
  readonly name: string;
  /** The template text: a string (encoded as UTF-8) or the file's bytes. */
  readonly text: string | Uint8Array;
  /** Action delimiters, default "{{" and "}}" (Go's Delims; an empty string means the default). */
  readonly delims?: readonly [string, string];
  /** The functions the template may call besides Go's built-ins (default: none). */
  readonly functions?: FunctionSet;
}

export interface RenderOptions {
  /** Go's Option("missingkey=…"): what a missing map key gives. Default: "default" (<no value>). */
  readonly missingKey?: MissingKey;
  readonly limits?: Partial<TemplateLimits>;
  /**
   * Show data values inside error messages where Go's messages do ("range can't iterate over …"). Off by
   * default so that secrets do not reach logs or status conditions; a CLI whose user owns the data turns it on.
   */
  readonly revealValuesInErrors?: boolean;
  /** The time functions such as sprig's genCA see as "now" (default: the system clock). */
  readonly now?: () => Date;
}

const CACHE_SIZE = 512;

class LruCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // Re-inserting moves the entry to the most recently used end.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

const caches = new WeakMap<FunctionSet, LruCache<ParsedTemplates | TemplateParseError>>();

function byteString(text: string | Uint8Array): ByteString {
  return typeof text === 'string' ? byteStringFromText(text) : byteStringFromBytes(text);
}

/** Parses a template (and the templates it defines), using the cache. Throws TemplateParseError. */
export function parseTemplate(source: TemplateSource, limits: Partial<TemplateLimits> = {}): ParsedTemplates {
  const functions = source.functions ?? NO_FUNCTIONS;
  const name = byteStringFromText(source.name);
  const text = byteString(source.text);
  const [left = '', right = ''] = (source.delims ?? ['', '']).map(byteStringFromText);
  const maxNesting = limits.maxNesting ?? DEFAULT_TEMPLATE_LIMITS.maxNesting;
  let cache = caches.get(functions);
  if (!cache) {
    cache = new LruCache(CACHE_SIZE);
    caches.set(functions, cache);
  }
  const key = JSON.stringify([name, left, right, maxNesting, text]);
  let parsed = cache.get(key);
  if (!parsed) {
    try {
      parsed = parseTemplates({
        name,
        text,
        leftDelim: left,
        rightDelim: right,
        hasFunction: (candidate) => functions.has(candidate) || builtinFunction(candidate) !== undefined,
        maxNesting,
      });
    } catch (error) {
      if (!(error instanceof TemplateParseError)) throw error;
      parsed = error;
    }
    cache.set(key, parsed);
  }
  if (parsed instanceof TemplateParseError) throw parsed;
  return parsed;
}

/**
 * Renders a template over data; the result is the output as a byte string (one code unit per byte, see
 * common/go-utf8.ts). Throws TemplateParseError, TemplateExecError or TemplateLimitError, with Go's messages.
 */
export function renderToByteString(
  source: TemplateSource,
  data: GoValue | undefined,
  options: RenderOptions = {},
): ByteString {
  const parsed = parseTemplate(source, options.limits);
  return executeTemplates(parsed, source.functions ?? NO_FUNCTIONS, data, {
    missingKey: options.missingKey,
    limits: options.limits,
    revealValuesInErrors: options.revealValuesInErrors,
    now: options.now,
  });
}

/** Renders a template over data; the result is exactly the bytes Go would write. */
export function renderTemplate(
  source: TemplateSource,
  data: GoValue | undefined,
  options: RenderOptions = {},
): Uint8Array {
  return bytesFromByteString(renderToByteString(source, data, options));
}
