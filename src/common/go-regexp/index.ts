/**
 * Go's regexp for the rest of Cloak (sops' path and key rules, CRD `pattern`s): patterns and texts are ordinary
 * JavaScript strings, matched as Go matches their UTF-8 bytes by the engine the template functions use
 * (engine.ts: RE2 syntax, leftmost-first, time linear in the text). A bad pattern is a GoRegexpError carrying
 * Go's message. Compiled patterns are cached, so a caller may compile on every use. Pure.
 */
import { CloakError } from '../errors.ts';
import { byteStringFromText, textFromByteString } from '../go-utf8.ts';
import { compileGoRegexpBytes, RegexpSyntaxError, type GoRegexp } from './engine.ts';

export class GoRegexpError extends CloakError {
  /**
   * Go's message word for word ("error parsing regexp: missing closing ): `(a`"), as kube-apiserver shows it;
   * it may hold a line break of the pattern, which `message` shows escaped.
   */
  readonly goMessage: string;

  constructor(goMessage: string) {
    super(
      'ERR_REGEXP',
      goMessage.replace(/[\n\r]/g, (char) => (char === '\n' ? '\\n' : '\\r')),
    );
    this.goMessage = goMessage;
  }
}

/** A compiled Go regular expression over JavaScript strings. */
export class GoPattern {
  readonly source: string;
  readonly #regexp: GoRegexp;

  constructor(source: string, regexp: GoRegexp) {
    this.source = source;
    this.#regexp = regexp;
  }

  /** regexp.MatchString: whether the text contains a match (unanchored, as in Go). */
  test(text: string): boolean {
    return this.#regexp.matches(byteStringFromText(text));
  }
}

const CACHE_SIZE = 1024;
/** Compiled patterns, or Go's message for bad ones, by pattern text (the oldest entry goes when full). */
const cache = new Map<string, GoPattern | string>();

/**
 * regexp.Compile: throws GoRegexpError with Go's message when Go would refuse the pattern. Cached by the pattern's
 * text: callers such as CRD validation compile the same pattern for every value they check, and a hit then costs
 * neither the UTF-8 conversion nor a new GoPattern.
 */
export function compileGoRegexp(pattern: string): GoPattern {
  let entry = cache.get(pattern);
  if (entry === undefined) {
    entry = compileUncached(pattern);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(pattern, entry);
  }
  if (typeof entry === 'string') throw new GoRegexpError(entry);
  return entry;
}

function compileUncached(pattern: string): GoPattern | string {
  try {
    return new GoPattern(pattern, compileGoRegexpBytes(byteStringFromText(pattern)));
  } catch (error) {
    if (error instanceof RegexpSyntaxError) return textFromByteString(error.message);
    throw error;
  }
}
