/**
 * sprig 3.2.3's generic function map (Masterminds/sprig TxtFuncMap), except its crypto functions (written in
 * ../sprig-crypto/) and env, expandenv and getHostByName, which Sealed Secrets and External Secrets remove.
 * Each family is a file: strings.ts, regex.ts, math.ts, lists.ts, dicts.ts, encoding.ts, general.ts
 * (defaults, flow control, reflection, paths), url.ts, semver.ts, dates.ts, random.ts. The conversions sprig
 * applies to interface {} arguments are in convert.ts; Go's time and encoding/json in go-time.ts and
 * json.ts; Go's regexp is shared, in src/common/go-regexp/. Also here, outside sprig: yaml.ts (toYaml,
 * fromYaml as External Secrets and Helm define them, sigs.k8s.io/yaml) and Helm's required.
 *
 * Behaviour is sprig's as recorded from the real Go (test/template/cases/sprig-*.json). Where Go is
 * nondeterministic Cloak picks one of Go's possible answers: keys and values come out sorted by key.
 */
import type { SprigLibrary } from '../../function-sets.ts';
import { FunctionSet } from '../../functions.ts';
import type { GoFunc } from '../../values.ts';
import { DateFunctions } from './dates.ts';
import { dictFunctions } from './dicts.ts';
import { encodingFunctions } from './encoding.ts';
import type { SprigEnvironment } from './environment.ts';
import { generalFunctions } from './general.ts';
import { listFunctions } from './lists.ts';
import { mathFunctions } from './math.ts';
import { randomFunctions } from './random.ts';
import { regexFunctions } from './regex.ts';
import { semverFunctions } from './semver.ts';
import { stringFunctions } from './strings.ts';
import { SYSTEM_ENVIRONMENT } from './system-environment.ts';
import { urlFunctions } from './url.ts';
import { yamlFunctions } from './yaml.ts';

export type { SprigEnvironment } from './environment.ts';
export { SYSTEM_ENVIRONMENT } from './system-environment.ts';
export { helmFunctions, yamlFunctions } from './yaml.ts';

/** sprig's non-crypto functions, with the clock, randomness and time zones of `environment`. */
export function makeSprigGeneralFunctions(environment: SprigEnvironment): ReadonlyMap<string, GoFunc> {
  const functions = [
    ...stringFunctions(),
    ...regexFunctions(),
    ...mathFunctions(),
    ...listFunctions(),
    ...dictFunctions(),
    ...encodingFunctions(),
    ...generalFunctions(),
    ...urlFunctions(),
    ...semverFunctions(),
    ...new DateFunctions(environment).functions(),
    ...randomFunctions(environment),
  ];
  const map = new Map<string, GoFunc>();
  for (const fn of functions) {
    if (map.has(fn.name)) throw new Error(`sprig function ${fn.name} is defined twice`);
    map.set(fn.name, fn);
  }
  return map;
}

/** sprig's non-crypto functions with the system clock, crypto randomness and the system's time zones. */
export const sprigGeneralFunctions: ReadonlyMap<string, GoFunc> =
  makeSprigGeneralFunctions(SYSTEM_ENVIRONMENT);

/** What function-sets.ts composes the sprig-based sets from (the crypto functions come from ../sprig-crypto). */
export const sprigLibrary: SprigLibrary = {
  general: new FunctionSet('sprig-general', sprigGeneralFunctions.values()),
  yaml: yamlFunctions,
};
