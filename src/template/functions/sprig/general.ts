/**
 * sprig's defaults and flow control (default, empty, coalesce, all, any, ternary, fail), reflection helpers
 * (typeOf, kindOf, typeIs, typeIsLike, kindIs, deepEqual) and Go's path functions (path and, on Linux where
 * the separator is "/", path/filepath alike). Pure.
 */
import { GoFuncError } from '../../errors.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import type { GoFunc, GoValue } from '../../values.ts';
import { deepEqual, isEmpty, kindName, typeName } from './convert.ts';
import { ANY, fn } from './define.ts';

const str = (value: GoValue | undefined): ByteString => value as ByteString;

/** path.Clean: the shortest equivalent path, lexically. */
export function cleanPath(path: ByteString): ByteString {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

function basePath(path: ByteString): ByteString {
  if (path === '') return '.';
  let trimmed = path;
  while (trimmed.length > 0 && trimmed.endsWith('/')) trimmed = trimmed.slice(0, -1);
  if (trimmed === '') return '/';
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 ? trimmed.slice(slash + 1) : trimmed;
}

function dirPath(path: ByteString): ByteString {
  const slash = path.lastIndexOf('/');
  return cleanPath(path.slice(0, slash + 1));
}

function extPath(path: ByteString): ByteString {
  for (let index = path.length - 1; index >= 0 && path[index] !== '/'; index--) {
    if (path[index] === '.') return path.slice(index);
  }
  return '';
}

export function generalFunctions(): GoFunc[] {
  const paths = (prefix: string): GoFunc[] => {
    const name = (base: string): string =>
      prefix ? `${prefix}${base[0]!.toUpperCase()}${base.slice(1)}` : base;
    return [
      fn(name('base'), ['string'], 'string', ([path]) => basePath(str(path))),
      fn(name('dir'), ['string'], 'string', ([path]) => dirPath(str(path))),
      fn(name('clean'), ['string'], 'string', ([path]) => cleanPath(str(path))),
      fn(name('ext'), ['string'], 'string', ([path]) => extPath(str(path))),
      fn(name('isAbs'), ['string'], 'bool', ([path]) => str(path).startsWith('/')),
    ];
  };
  return [
    fn(
      'default',
      [ANY, ANY],
      ANY,
      ([fallback, ...given]) => (given.length === 0 || isEmpty(given[0]!) ? fallback! : given[0]!),
      { variadic: true },
    ),
    fn('empty', [ANY], 'bool', ([value]) => isEmpty(value!)),
    fn('coalesce', [ANY], ANY, (values) => values.find((value) => !isEmpty(value)) ?? null, {
      variadic: true,
    }),
    fn('all', [ANY], 'bool', (values) => values.every((value) => !isEmpty(value)), { variadic: true }),
    fn('any', [ANY], 'bool', (values) => values.some((value) => !isEmpty(value)), { variadic: true }),
    fn('ternary', [ANY, ANY, 'bool'], ANY, ([whenTrue, whenFalse, condition]) =>
      condition ? whenTrue! : whenFalse!,
    ),
    fn(
      'fail',
      ['string'],
      'string',
      ([message]) => {
        throw new GoFuncError(str(message));
      },
      { returnsError: true },
    ),
    fn('typeOf', [ANY], 'string', ([value]) => typeName(value!)),
    fn('typeIs', ['string', ANY], 'bool', ([target, value]) => str(target) === typeName(value!)),
    fn('typeIsLike', ['string', ANY], 'bool', ([target, value]) => {
      const type = typeName(value!);
      return str(target) === type || `*${str(target)}` === type;
    }),
    fn('kindOf', [ANY], 'string', ([value]) => kindName(value!)),
    fn('kindIs', ['string', ANY], 'bool', ([target, value]) => str(target) === kindName(value!)),
    fn('deepEqual', [ANY, ANY], 'bool', ([a, b]) => deepEqual(a!, b!)),
    ...paths(''),
    ...paths('os'),
  ];
}
