/**
 * Go (RE2) regular expressions run on JavaScript's engine. The two syntaxes mostly agree; this translates
 * what differs and refuses what JavaScript cannot express, so a pattern never silently means something
 * else. Used for sops' encrypted_regex and friends, and later for templates. Pure.
 */
import { CloakError } from './errors.ts';

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export class GoRegexpError extends CloakError {}

/** Compiles a Go regular expression; `extraFlags` adds JavaScript flags (e.g. 'g'). */
export function compileGoRegexp(pattern: string, extraFlags = ''): RegExp {
  let flags = new Set(extraFlags);
  let source = pattern;
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    for (const flag of leading[1] ?? '') {
      if (flag === 'U') throw unsupported(pattern, 'ungreedy mode (?U)');
      flags.add(flag);
    }
    source = source.slice(leading[0].length);
  }
  const translated = translate(source, pattern);
  if (/\\p[A-Za-z{]|\\P[A-Za-z{]/.test(translated)) flags = new Set([...flags, 'u']);
  try {
    return new RegExp(translated, [...flags].join(''));
  } catch (error) {
    throw new GoRegexpError(
      'ERR_REGEXP',
      `invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`,
    );
  }
}

function translate(source: string, original: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    const next = source[i + 1];
    if (char === '\\') {
      if (next === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const literal = source.slice(i + 2, end === -1 ? undefined : end);
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i = end === -1 ? source.length : end + 1;
      } else if (next === 'z') {
        out += '$(?![\\s\\S])';
        i++;
      } else if (next === 'A') {
        out += '(?<![\\s\\S])';
        i++;
      } else if ((next === 'p' || next === 'P') && /[A-Za-z]/.test(source[i + 2] ?? '')) {
        out += `\\${next}{${source[i + 2] ?? ''}}`;
        i += 2;
      } else {
        out += char + (next ?? '');
        i++;
      }
    } else if (char === '(' && source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (char === '(' && /^\(\?[imsU-]+\)/.test(source.slice(i))) {
      throw unsupported(original, 'flags in the middle of a pattern (use (?i:...) groups)');
    } else if (char === '[' && source.startsWith('[:', i)) {
      const end = source.indexOf(':]', i + 2);
      const name = end === -1 ? '' : source.slice(i + 2, end);
      const negated = name.startsWith('^');
      const range = POSIX_CLASSES[negated ? name.slice(1) : name];
      if (range === undefined) {
        out += char;
        continue;
      }
      if (negated) throw unsupported(original, `negated POSIX class [:${name}:]`);
      out += range;
      i = end + 1;
    } else {
      out += char;
    }
  }
  return out;
}

function unsupported(pattern: string, what: string): GoRegexpError {
  return new GoRegexpError(
    'ERR_REGEXP',
    `regular expression ${JSON.stringify(pattern)} uses ${what}, which Cloak cannot run`,
  );
}
