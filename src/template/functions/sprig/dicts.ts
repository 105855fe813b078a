/**
 * sprig's dict functions on map[string]interface {}. Maps are references: set, unset, merge and
 * mergeOverwrite change their first argument in place and return it, exactly as in Go, so the usual
 * `{{ $_ := set $d "k" "v" }}` works. merge follows imdario/mergo 0.3.12 (what Debian's sprig links): a key is
 * filled when the destination's value is empty (nil, "", 0, false, empty list or map), nested maps merge
 * recursively in place, and mergeOverwrite replaces scalars even with empty values but never replaces a
 * non-empty value with a map. keys and values come out in Go's random map order there; here sorted by key.
 * Pure.
 */
import { GoFuncError } from '../../errors.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import {
  GoBytes,
  GoList,
  GoMap,
  goList,
  goMap,
  goStringList,
  type GoFunc,
  type GoValue,
} from '../../values.ts';
import { isEmpty, strval, typeName } from './convert.ts';
import { ANY, ANY_LIST, ANY_MAP, fn, interfaceConversion } from './define.ts';

const map = (value: GoValue | undefined): GoMap => value as GoMap;
const str = (value: GoValue | undefined): ByteString => value as ByteString;

/** mergo's deepMerge for the maps sprig passes: dst is changed in place. */
function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean, depth: number): void {
  if (depth > 10000) throw new GoFuncError('merge: maps nested too deeply');
  for (const key of src.sortedKeys()) {
    const srcValue = src.entries.get(key)!;
    const dstHas = dst.entries.has(key);
    const dstValue = dstHas ? dst.entries.get(key)! : null;
    if (srcValue === null) {
      if (overwrite) dst.setEntry(key, null);
      continue;
    }
    const srcIsMap = srcValue instanceof GoMap;
    const srcIsSlice = srcValue instanceof GoList || srcValue instanceof GoBytes;
    if (srcIsMap && dstValue instanceof GoMap && !dstValue.isNil && !srcValue.isNil) {
      // Nested maps merge in place (a nil destination map is left alone: mergo cannot set it).
      mergeInto(dstValue, srcValue, overwrite, depth + 1);
    } else if (srcIsSlice) {
      // mergo writes a slice first (the source's when overwriting or when the whole destination map is
      // empty, else the destination's value, or an empty slice where there was none), then decides below.
      let written: GoValue;
      if (overwrite || dst.entries.size === 0) written = srcValue;
      else if (dstValue === null)
        written =
          srcValue instanceof GoBytes ? new GoBytes(new Uint8Array(0)) : new GoList(srcValue.type, []);
      else written = dstValue;
      dst.setEntry(key, written);
    }
    if (dstValue !== null && !isEmpty(dstValue) && (srcIsMap || srcIsSlice)) continue;
    if (overwrite || !dstHas || isEmpty(dstValue)) dst.setEntry(key, srcValue);
  }
}

function merge(args: GoValue[], overwrite: boolean): GoMap {
  let dst = map(args[0]);
  for (const source of args.slice(1).map(map)) {
    if (source.isNil) continue;
    // A nil destination becomes a new map (mergo sets it through the pointer sprig passes).
    if (dst.isNil) dst = goMap([]);
    mergeInto(dst, source, overwrite, 0);
  }
  return dst;
}

/** copystructure.Copy: maps and lists are new all the way down; other values are immutable and shared. */
export function deepCopy(value: GoValue, depth = 0): GoValue {
  if (depth > 10000) throw new GoFuncError('deepCopy: value nested too deeply');
  if (value instanceof GoMap) {
    if (value.isNil) return new GoMap(value.type, new Map(), true);
    return new GoMap(
      value.type,
      new Map([...value.entries].map(([key, item]) => [key, deepCopy(item, depth + 1)])),
    );
  }
  if (value instanceof GoList)
    return new GoList(
      value.type,
      value.items.map((item) => deepCopy(item, depth + 1)),
      value.isNil,
    );
  if (value instanceof GoBytes) return new GoBytes(value.bytes.slice(), value.isNil);
  return value;
}

/** copystructure.Copy(nil) panics inside reflect. */
function copyOrPanic(value: GoValue): GoValue {
  if (value === null) throw new GoFuncError('reflect: call of reflect.Value.Type on zero Value');
  return deepCopy(value);
}

/** `v.(map[string]interface{})` as dig does it. */
function asAnyMap(value: GoValue): GoMap {
  if (value instanceof GoMap && value.type === ANY_MAP) return value;
  throw interfaceConversion(value === null ? undefined : typeName(value), ANY_MAP);
}

function asString(value: GoValue): ByteString {
  if (typeof value === 'string') return value;
  throw interfaceConversion(value === null ? undefined : typeName(value), 'string');
}

function dig(args: GoValue[]): GoValue {
  if (args.length < 3) throw new GoFuncError('dig needs at least three arguments');
  let dict = asAnyMap(args[args.length - 1]!);
  const fallback = args[args.length - 2]!;
  const keys = args.slice(0, -2).map(asString);
  for (let index = 0; ; index++) {
    const key = keys[index]!;
    if (!dict.entries.has(key)) return fallback;
    const step = dict.entries.get(key)!;
    if (index === keys.length - 1) return step;
    dict = asAnyMap(step);
  }
}

export function dictFunctions(): GoFunc[] {
  return [
    fn(
      'dict',
      [ANY],
      ANY_MAP,
      (values) => {
        const entries = new Map<ByteString, GoValue>();
        for (let index = 0; index < values.length; index += 2) {
          entries.set(strval(values[index]!), index + 1 < values.length ? values[index + 1]! : '');
        }
        return goMap(entries);
      },
      { variadic: true },
    ),
    fn('get', [ANY_MAP, 'string'], ANY, ([dict, key]) => {
      const found = map(dict).entries.get(str(key));
      return found === undefined ? '' : found;
    }),
    fn('set', [ANY_MAP, 'string', ANY], ANY_MAP, ([dict, key, value]) => {
      map(dict).setEntry(str(key), value!);
      return dict!;
    }),
    fn('unset', [ANY_MAP, 'string'], ANY_MAP, ([dict, key]) => {
      map(dict).deleteEntry(str(key));
      return dict!;
    }),
    fn('hasKey', [ANY_MAP, 'string'], 'bool', ([dict, key]) => map(dict).entries.has(str(key))),
    fn(
      'pluck',
      ['string', ANY_MAP],
      ANY_LIST,
      ([key, ...dicts]) => {
        const found: GoValue[] = [];
        for (const dict of dicts) {
          if (map(dict).entries.has(str(key))) found.push(map(dict).entries.get(str(key))!);
        }
        return goList(found);
      },
      { variadic: true },
    ),
    fn(
      'keys',
      [ANY_MAP],
      '[]string',
      (dicts) => goStringList(dicts.flatMap((dict) => [...map(dict).sortedKeys()])),
      {
        variadic: true,
      },
    ),
    fn('values', [ANY_MAP], ANY_LIST, ([dict]) => {
      const source = map(dict);
      return goList(source.sortedKeys().map((key) => source.entries.get(key)!));
    }),
    fn(
      'pick',
      [ANY_MAP, 'string'],
      ANY_MAP,
      ([dict, ...keys]) => {
        const source = map(dict);
        const picked = new Map<ByteString, GoValue>();
        for (const key of keys) {
          if (source.entries.has(str(key))) picked.set(str(key), source.entries.get(str(key))!);
        }
        return goMap(picked);
      },
      { variadic: true },
    ),
    fn(
      'omit',
      [ANY_MAP, 'string'],
      ANY_MAP,
      ([dict, ...keys]) => {
        const omitted = new Set(keys.map(str));
        return goMap([...map(dict).entries].filter(([key]) => !omitted.has(key)));
      },
      { variadic: true },
    ),
    fn('merge', [ANY_MAP, ANY_MAP], ANY, (args) => merge(args, false), { variadic: true }),
    fn('mustMerge', [ANY_MAP, ANY_MAP], ANY, (args) => merge(args, false), {
      variadic: true,
      returnsError: true,
    }),
    fn('mergeOverwrite', [ANY_MAP, ANY_MAP], ANY, (args) => merge(args, true), { variadic: true }),
    fn('mustMergeOverwrite', [ANY_MAP, ANY_MAP], ANY, (args) => merge(args, true), {
      variadic: true,
      returnsError: true,
    }),
    fn('deepCopy', [ANY], ANY, ([value]) => copyOrPanic(value!)),
    fn('mustDeepCopy', [ANY], ANY, ([value]) => copyOrPanic(value!), { returnsError: true }),
    fn('dig', [ANY], ANY, (args) => dig(args), { variadic: true, returnsError: true }),
  ];
}
