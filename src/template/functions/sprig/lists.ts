/**
 * sprig's list functions. They take any slice through reflect and return []interface {} (slice keeps the
 * input's type); a value that is not a slice is an error naming its kind ("Cannot find first on type string"),
 * and nil makes sprig call a method on a nil reflect.Type, which Go reports as a nil pointer dereference.
 * Pure.
 */
import { GoFuncError } from '../../errors.ts';
import { GoBytes, GoList, goList, type GoFunc, type GoInt, type GoValue } from '../../values.ts';
import { deepEqual, float64ToInt64, isEmpty, isSliceLike, kindName, sliceItems, toInt64 } from './convert.ts';
import { ANY, ANY_LIST, fn, nilDereference, runtimeError } from './define.ts';

const nilList = (): GoList => new GoList(ANY_LIST, [], true);

/** The elements of a list argument, or the function's error for a non-list. */
function itemsOf(value: GoValue | undefined, message: (kind: string) => string): GoValue[] {
  if (value === null || value === undefined) throw nilDereference();
  if (!isSliceLike(value)) throw new GoFuncError(message(kindName(value)));
  return sliceItems(value);
}

function inList(list: readonly GoValue[], needle: GoValue): boolean {
  return list.some((item) => deepEqual(needle, item));
}

/** Both forms of a list function: the plain one panics with the error, the must* one returns it. */
function pair(
  name: string,
  params: string[],
  result: string,
  call: (args: GoValue[], context: Parameters<GoFunc['implementation']>[1]) => GoValue,
  variadic = false,
): GoFunc[] {
  const mustName = `must${name[0]!.toUpperCase()}${name.slice(1)}`;
  return [
    fn(name, params, result, call, { variadic }),
    fn(mustName, params, result, call, { variadic, returnsError: true }),
  ];
}

function chunk(size: number, items: GoValue[]): GoList {
  const length = items.length;
  const count = Number(float64ToInt64(Math.floor((length - 1) / size) + 1));
  if (count < 0 || !Number.isSafeInteger(count)) throw runtimeError('makeslice: len out of range');
  const chunks: GoList[] = [];
  for (let i = 0; i < count; i++) {
    let chunkLength = size;
    if (i === count - 1) {
      chunkLength = Math.floor(length % size);
      if (chunkLength === 0) chunkLength = size;
    }
    if (chunkLength < 0) throw runtimeError('makeslice: len out of range');
    const part: GoValue[] = [];
    for (let j = 0; j < chunkLength; j++) {
      const index = i * size + j;
      if (index < 0 || index >= length) throw new GoFuncError('reflect: slice index out of range');
      part.push(items[index]!);
    }
    chunks.push(goList(part));
  }
  return new GoList('[][]interface {}', chunks);
}

export function listFunctions(): GoFunc[] {
  const list = fn('list', [ANY], ANY_LIST, (values) => goList(values), { variadic: true });
  const push = pair('push', [ANY, ANY], ANY_LIST, ([value, item]) =>
    goList([...itemsOf(value, (kind) => `Cannot push on type ${kind}`), item!]),
  );
  return [
    list,
    fn('tuple', [ANY], ANY_LIST, (values) => goList(values), { variadic: true }),
    ...push,
    ...pair('append', [ANY, ANY], ANY_LIST, push[0]!.implementation),
    ...pair('prepend', [ANY, ANY], ANY_LIST, ([value, item]) =>
      goList([item!, ...itemsOf(value, (kind) => `Cannot prepend on type ${kind}`)]),
    ),
    ...pair('chunk', ['int', ANY], '[][]interface {}', ([size, value]) =>
      chunk(
        Number((size as GoInt).value),
        itemsOf(value, (kind) => `Cannot chunk type ${kind}`),
      ),
    ),
    ...pair('last', [ANY], ANY, ([value]) => {
      const items = itemsOf(value, (kind) => `Cannot find last on type ${kind}`);
      return items.length === 0 ? null : items[items.length - 1]!;
    }),
    ...pair('first', [ANY], ANY, ([value]) => {
      const items = itemsOf(value, (kind) => `Cannot find first on type ${kind}`);
      return items.length === 0 ? null : items[0]!;
    }),
    ...pair('rest', [ANY], ANY_LIST, ([value]) => {
      const items = itemsOf(value, (kind) => `Cannot find rest on type ${kind}`);
      return items.length === 0 ? nilList() : goList(items.slice(1));
    }),
    ...pair('initial', [ANY], ANY_LIST, ([value]) => {
      const items = itemsOf(value, (kind) => `Cannot find initial on type ${kind}`);
      return items.length === 0 ? nilList() : goList(items.slice(0, -1));
    }),
    ...pair('reverse', [ANY], ANY_LIST, ([value]) =>
      goList(itemsOf(value, (kind) => `Cannot find reverse on type ${kind}`).reverse()),
    ),
    ...pair('compact', [ANY], ANY_LIST, ([value]) =>
      goList(itemsOf(value, (kind) => `Cannot compact on type ${kind}`).filter((item) => !isEmpty(item))),
    ),
    ...pair('uniq', [ANY], ANY_LIST, ([value], context) => {
      const unique: GoValue[] = [];
      for (const item of itemsOf(value, (kind) => `Cannot find uniq on type ${kind}`)) {
        context.charge(unique.length);
        if (!inList(unique, item)) unique.push(item);
      }
      return goList(unique);
    }),
    ...pair(
      'without',
      [ANY, ANY],
      ANY_LIST,
      ([value, ...omit]) =>
        goList(
          itemsOf(value, (kind) => `Cannot find without on type ${kind}`).filter(
            (item) => !inList(omit, item),
          ),
        ),
      true,
    ),
    ...pair('has', [ANY, ANY], 'bool', ([needle, haystack]) => {
      if (haystack === null) return false;
      return inList(
        itemsOf(haystack, (kind) => `Cannot find has on type ${kind}`),
        needle!,
      );
    }),
    ...pair(
      'slice',
      [ANY, ANY],
      ANY,
      ([value, ...indices]) => {
        if (value === null || value === undefined) throw nilDereference();
        if (!isSliceLike(value)) {
          throw new GoFuncError(`list should be type of slice or array but ${kindName(value)}`);
        }
        const length = value instanceof GoBytes ? value.bytes.length : value.items.length;
        if (length === 0) return null;
        const start = indices.length > 0 ? Number(BigInt.asIntN(64, toInt64(indices[0]!))) : 0;
        const end = indices.length < 2 ? length : Number(BigInt.asIntN(64, toInt64(indices[1]!)));
        if (start < 0 || end < start || end > length) {
          throw new GoFuncError('reflect.Value.Slice: slice index out of bounds');
        }
        if (value instanceof GoBytes) return new GoBytes(value.bytes.slice(start, end));
        return new GoList(value.type, value.items.slice(start, end));
      },
      true,
    ),
    fn(
      'concat',
      [ANY],
      ANY,
      (lists) => {
        const result: GoValue[] = [];
        for (const value of lists) {
          if (value === null) throw nilDereference();
          if (!isSliceLike(value)) throw new GoFuncError(`Cannot concat type ${kindName(value)} as list`);
          result.push(...sliceItems(value));
        }
        return result.length === 0 ? nilList() : goList(result);
      },
      { variadic: true },
    ),
  ];
}
