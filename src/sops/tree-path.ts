/**
 * Tree paths as sops writes them on the command line (`--extract`, `set`, `unset`): `["key"][0]['other']`.
 * Reading, replacing and removing the value at a path. Pure: the functions return new trees.
 */
import { CloakError } from '../common/errors.ts';
import { isComment, isList, isMap, type SopsList, type SopsMap, type SopsValue } from './tree.ts';

export type PathComponent = string | number;

const COMPONENT = /\[(?:(\d+)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\]/y;

export function parseTreePath(text: string): PathComponent[] {
  const components: PathComponent[] = [];
  COMPONENT.lastIndex = 0;
  let index = 0;
  while (index < text.length) {
    COMPONENT.lastIndex = index;
    const match = COMPONENT.exec(text);
    if (!match)
      throw pathError(
        `invalid path ${JSON.stringify(text)}: expected components like ["key"] or [0] at position ${index}`,
      );
    if (match[1] !== undefined) components.push(Number(match[1]));
    else components.push((match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1'));
    index = COMPONENT.lastIndex;
  }
  if (components.length === 0) throw pathError('the path is empty');
  return components;
}

export function describeTreePath(path: readonly PathComponent[]): string {
  return path
    .map((component) => (typeof component === 'number' ? `[${component}]` : `["${component}"]`))
    .join('');
}

function pathError(message: string): CloakError {
  return new CloakError('ERR_SOPS_PATH', message);
}

export function getAt(root: SopsMap, path: readonly PathComponent[]): SopsValue {
  let current: SopsValue = root;
  for (const [depth, component] of path.entries()) {
    const found = child(current, component);
    if (found === undefined)
      throw pathError(`component ${describeTreePath(path.slice(0, depth + 1))} not found`);
    current = found;
  }
  return current;
}

function child(value: SopsValue, component: PathComponent): SopsValue | undefined {
  if (typeof component === 'string') {
    if (!isMap(value)) return undefined;
    const found = value.items.find((item) => item.kind === 'entry' && item.key === component);
    return found?.kind === 'entry' ? found.value : undefined;
  }
  if (!isList(value)) return undefined;
  return values(value)[component];
}

function values(list: SopsList): SopsValue[] {
  return list.items.filter((item): item is SopsValue => !isComment(item));
}

/** `set`: replaces the value, or adds it (and any missing maps and lists on the way), as sops' Set does. */
export function setAt(root: SopsMap, path: readonly PathComponent[], value: SopsValue): SopsMap {
  return setIn(root, path, value) as SopsMap;
}

function setIn(node: SopsValue, path: readonly PathComponent[], value: SopsValue): SopsValue {
  const [component, ...rest] = path;
  if (component === undefined) return value;
  if (typeof component === 'string') {
    const map: SopsMap = isMap(node) ? node : { kind: 'map', items: [] };
    const index = map.items.findIndex((item) => item.kind === 'entry' && item.key === component);
    const items = [...map.items];
    if (index === -1) items.push({ kind: 'entry', key: component, value: setIn(null, rest, value) });
    else {
      const existing = items[index];
      if (existing?.kind === 'entry')
        items[index] = { ...existing, value: setIn(existing.value, rest, value) };
    }
    return { kind: 'map', items };
  }
  const list: SopsList = isList(node) ? node : { kind: 'list', items: [] };
  const items = [...list.items];
  const positions = items.flatMap((item, index) => (isComment(item) ? [] : [index]));
  const position = positions[component];
  if (position === undefined) items.push(setIn(null, rest, value));
  else items[position] = setIn(items[position] as SopsValue, rest, value);
  return { kind: 'list', items };
}

/** `unset`: the tree without the value at `path`; an error when there is nothing there. */
export function unsetAt(root: SopsMap, path: readonly PathComponent[]): SopsMap {
  getAt(root, path);
  return unsetIn(root, path) as SopsMap;
}

function unsetIn(node: SopsValue, path: readonly PathComponent[]): SopsValue {
  const [component, ...rest] = path;
  if (typeof component === 'string' && isMap(node)) {
    const items = node.items.flatMap((item) => {
      if (item.kind !== 'entry' || item.key !== component) return [item];
      return rest.length === 0 ? [] : [{ ...item, value: unsetIn(item.value, rest) }];
    });
    return { kind: 'map', items };
  }
  if (typeof component === 'number' && isList(node)) {
    let seen = -1;
    const items = node.items.flatMap((item) => {
      if (isComment(item) || ++seen !== component) return [item];
      return rest.length === 0 ? [] : [unsetIn(item, rest)];
    });
    return { kind: 'list', items };
  }
  return node;
}
