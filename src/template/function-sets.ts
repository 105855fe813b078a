/**
 * The function sets consumers choose from (`cloak template render --funcs NAME`, each controller's own):
 *
 * - none: Go's built-ins only;
 * - sprig: sprig's generic function map without env, expandenv and getHostByName;
 * - eso: External Secrets' set (its sprig fork plus pkcs12*, filterPEM, certSANs, jwk*, rsaDecrypt…);
 * - sealed-secrets: the Sealed Secrets controller's set for spec.template;
 * - injector: the Vault injector's set for agent-inject-template-*.
 *
 * Sets are loaded on first use (module imports), so a command that renders with `none` never loads sprig.
 * To add a set: write it under src/template/functions/NAME/, export a FunctionSet, and add its loader here.
 */
import { CloakError } from '../common/errors.ts';
import { NO_FUNCTIONS, type FunctionSet } from './functions.ts';

export const FUNCTION_SET_NAMES = ['none', 'sprig', 'eso', 'sealed-secrets', 'injector'] as const;

export type FunctionSetName = (typeof FUNCTION_SET_NAMES)[number];

const LOADERS: Record<FunctionSetName, (() => Promise<FunctionSet>) | undefined> = {
  none: () => Promise.resolve(NO_FUNCTIONS),
  // Filled in as the function libraries land (issue 7).
  sprig: undefined,
  eso: undefined,
  'sealed-secrets': undefined,
  injector: undefined,
};

const loaded = new Map<FunctionSetName, Promise<FunctionSet>>();

export function isFunctionSetName(name: string): name is FunctionSetName {
  return (FUNCTION_SET_NAMES as readonly string[]).includes(name);
}

/** The named function set; the promise is shared, so each set is built once. */
export function loadFunctionSet(name: FunctionSetName): Promise<FunctionSet> {
  const loader = LOADERS[name];
  if (!loader) {
    return Promise.reject(
      new CloakError('ERR_TEMPLATE_FUNCTIONS', `template function set "${name}" is not available yet`),
    );
  }
  let set = loaded.get(name);
  if (!set) {
    set = loader();
    loaded.set(name, set);
  }
  return set;
}
