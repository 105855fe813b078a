/**
 * The function sets consumers choose from (`cloak template render --funcs NAME`, each controller's own):
 *
 * - none: Go's built-ins only;
 * - sprig: sprig 3.2.3's generic function map (general + crypto) without env, expandenv and getHostByName;
 * - sealed-secrets: what the Sealed Secrets controller registers for spec.template: sprig's GenericFuncMap
 *   without env, expandenv and getHostByName, from sprig 3.3.0 (its go.mod), which adds sha512sum;
 * - eso: External Secrets' set (runtime/template/v2): its vendored sprig (3.3 development line: sha512sum,
 *   hexdec, htpasswd with a hash-algorithm argument; env, expandenv and getHostByName excluded) plus pkcs12*,
 *   pemToPkcs12*, fullPemToPkcs12*, pemTruststoreToPKCS12*, filterPEM, filterCertChain, certSANs, jwk*,
 *   rsaDecrypt, toYaml and fromYaml;
 * - injector: the Vault injector renders consul-template, not sprig. Of consul-template's functions the
 *   reference note names only toJSON (the injector's default JSON template), so that is what the set holds;
 *   `secret` reads Vault and is the caller's to add (set.extend).
 *
 * Sets are loaded on first use (module imports), so a command that renders with `none` never loads sprig.
 * The composition itself (composeFunctionSets) is pure, so the rules above are tested without the libraries.
 */
import { CloakError } from '../common/errors.ts';
import { NO_FUNCTIONS, FunctionSet } from './functions.ts';
import type { GoFunc } from './values.ts';

export const FUNCTION_SET_NAMES = ['none', 'sprig', 'eso', 'sealed-secrets', 'injector'] as const;

export type FunctionSetName = (typeof FUNCTION_SET_NAMES)[number];

/** What sprig's own library contributes (src/template/functions/sprig). */
export interface SprigLibrary {
  /** sprig 3.2.3's functions other than the crypto ones (env, expandenv, getHostByName are removed anyway). */
  readonly general: FunctionSet;
  /** sprig 3.3's additions and changes among them, for the sets built on 3.3 (Sealed Secrets, ESO). */
  readonly v33?: readonly GoFunc[];
  /** toYaml and fromYaml as ESO registers them (sigs.k8s.io/yaml). */
  readonly yaml?: readonly GoFunc[];
  /** What ESO's vendored sprig changes besides the crypto functions (camelcase as PascalCase, …). */
  readonly eso?: readonly GoFunc[];
}

/** The parts the crypto and ESO libraries contribute (their modules, passed in for testability). */
export interface CryptoLibraries {
  readonly sprigCrypto: readonly GoFunc[];
  readonly sprig33Crypto: readonly GoFunc[];
  readonly esoHtpasswd: GoFunc;
  readonly eso: readonly GoFunc[];
  readonly injector: readonly GoFunc[];
}

/** Removed by both Sealed Secrets and External Secrets: they read the controller's environment and DNS. */
export const REMOVED_FROM_SPRIG = ['env', 'expandenv', 'getHostByName'] as const;

/** Every named set, from the libraries. */
export function composeFunctionSets(
  sprig: SprigLibrary,
  libraries: CryptoLibraries,
): Record<Exclude<FunctionSetName, 'none'>, FunctionSet> {
  const base = sprig.general.extend('sprig', libraries.sprigCrypto).without('sprig', REMOVED_FROM_SPRIG);
  const v33 = base
    .extend('sealed-secrets', [...(sprig.v33 ?? []), ...libraries.sprig33Crypto])
    .without('sealed-secrets', REMOVED_FROM_SPRIG);
  const eso = v33
    .extend('eso', [...(sprig.eso ?? []), libraries.esoHtpasswd, ...(sprig.yaml ?? []), ...libraries.eso])
    .without('eso', REMOVED_FROM_SPRIG);
  return {
    sprig: base,
    'sealed-secrets': v33,
    eso,
    injector: new FunctionSet('injector', libraries.injector),
  };
}

/**
 * sprig's library (src/template/functions/sprig, the other half of issue 7). Until it is registered here the
 * sets built on sprig are not available; `injector` does not need it.
 */
const loadSprigLibrary: (() => Promise<SprigLibrary>) | undefined = () =>
  import('./functions/sprig/index.ts').then((sprig) => sprig.sprigLibrary);

async function loadCryptoLibraries(): Promise<CryptoLibraries> {
  const [crypto, eso, injector] = await Promise.all([
    import('./functions/sprig-crypto/index.ts'),
    import('./functions/eso/index.ts'),
    import('./functions/injector/index.ts'),
  ]);
  return {
    sprigCrypto: crypto.sprigCryptoFunctions,
    sprig33Crypto: crypto.sprig33CryptoAdditions,
    esoHtpasswd: crypto.htpasswdWithAlgorithm,
    eso: eso.esoFunctions,
    injector: injector.injectorFunctions,
  };
}

let composed: Promise<Record<Exclude<FunctionSetName, 'none'>, FunctionSet>> | undefined;

function sprigBasedSet(name: Exclude<FunctionSetName, 'none' | 'injector'>): Promise<FunctionSet> {
  const loadSprig = loadSprigLibrary;
  if (!loadSprig) {
    return Promise.reject(
      new CloakError('ERR_TEMPLATE_FUNCTIONS', `template function set "${name}" is not available yet`),
    );
  }
  composed ??= Promise.all([loadSprig(), loadCryptoLibraries()]).then(([sprig, libraries]) =>
    composeFunctionSets(sprig, libraries),
  );
  return composed.then((sets) => sets[name]);
}

const LOADERS: Record<FunctionSetName, () => Promise<FunctionSet>> = {
  none: () => Promise.resolve(NO_FUNCTIONS),
  sprig: () => sprigBasedSet('sprig'),
  eso: () => sprigBasedSet('eso'),
  'sealed-secrets': () => sprigBasedSet('sealed-secrets'),
  injector: () =>
    import('./functions/injector/index.ts').then(
      (injector) => new FunctionSet('injector', injector.injectorFunctions),
    ),
};

const loaded = new Map<FunctionSetName, Promise<FunctionSet>>();

export function isFunctionSetName(name: string): name is FunctionSetName {
  return (FUNCTION_SET_NAMES as readonly string[]).includes(name);
}

/** The named function set; the promise is shared, so each set is built once. */
export function loadFunctionSet(name: FunctionSetName): Promise<FunctionSet> {
  let set = loaded.get(name);
  if (!set) {
    set = LOADERS[name]();
    // A set that could not load is not remembered (a later call tries again).
    set.catch(() => loaded.delete(name));
    loaded.set(name, set);
  }
  return set;
}
