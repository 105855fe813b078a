/**
 * @kubernetes/client-node's `KubeConfig`, without the rest of that client. We use the client for configuration
 * and authentication only (kubeconfig merging, exec plugins, OIDC, the in-cluster service account; ADR 0010),
 * but its `dist/config.js` imports `./gen/index.js`, the whole generated API (every model and API class of
 * every group), only to build the configuration `makeApiClient` hands to generated clients, and `undici`, only
 * for the fetch dispatcher of those clients. Together they are about 50 MB of a long-running process's
 * resident memory (docs/adr/0014).
 *
 * So `config.js` is loaded under a URL of its own (`?cloak-lite`), and a module resolution hook
 * (node:module `registerHooks`, synchronous and in-thread, active only while that import links) points those
 * two imports of it at stand-ins that throw when used (`client-node-shims/`). `oidc_auth.js`, which imports
 * `config.js` back, is loaded under the same query, so that the lite graph never reaches the canonical one:
 * `import('@kubernetes/client-node')` elsewhere in the same process still gets the whole, working client.
 * When a client-node release imports something else from those modules (linking fails), or the hook API is
 * missing, the whole client is loaded instead: more memory, same behaviour.
 */
import module from 'node:module';
import type { KubeConfig } from '@kubernetes/client-node';

export type KubeConfigClass = typeof KubeConfig;

/** How `KubeConfig` was loaded: without the generated API, or (fallback) with the whole client. */
export type ClientNodeMode = 'lite' | 'full';

const LITE_QUERY = '?cloak-lite';
const CONFIG_MODULE = '@kubernetes/client-node/dist/config.js';

/** What `config.js` imports that we never use, and the stand-in each one gets. */
export const DEFAULT_SHIMS: Readonly<Record<string, string>> = {
  './gen/index.js': new URL('./client-node-shims/gen.ts', import.meta.url).href,
  undici: new URL('./client-node-shims/undici.ts', import.meta.url).href,
};

/** Modules of client-node that import `config.js`: they must join the lite graph, or they would load the whole API. */
const LITE_MODULES = new Set(['./config.js', './oidc_auth.js']);

let loaded: Promise<{ KubeConfig: KubeConfigClass; mode: ClientNodeMode }> | undefined;

/** client-node's `KubeConfig` class, loaded once per process (without the generated API when possible). */
export async function kubeConfigClass(): Promise<KubeConfigClass> {
  loaded ??= loadKubeConfigClass();
  return (await loaded).KubeConfig;
}

/** How this process loaded `KubeConfig` (undefined before the first `kubeConfigClass()`). */
export async function clientNodeMode(): Promise<ClientNodeMode | undefined> {
  return loaded ? (await loaded).mode : undefined;
}

/**
 * Loads `KubeConfig` with `shims` in place of the modules they name (for tests: a broken shim must end in the
 * fallback). Not cached: use `kubeConfigClass()`.
 */
export async function loadKubeConfigClass(
  shims: Readonly<Record<string, string>> = DEFAULT_SHIMS,
): Promise<{ KubeConfig: KubeConfigClass; mode: ClientNodeMode }> {
  try {
    return { KubeConfig: await importLite(shims), mode: 'lite' };
  } catch {
    // A client-node release that imports more from the shimmed modules, or no hook API: the whole client.
    const { KubeConfig } = await import('@kubernetes/client-node');
    return { KubeConfig, mode: 'full' };
  }
}

async function importLite(shims: Readonly<Record<string, string>>): Promise<KubeConfigClass> {
  const configUrl = import.meta.resolve(CONFIG_MODULE);
  const distUrl = new URL('.', configUrl).href;
  const isLiteParent = (parent: string | undefined): boolean =>
    parent !== undefined && parent.startsWith(distUrl) && parent.endsWith(LITE_QUERY);
  const hooks = module.registerHooks({
    resolve(specifier, context, nextResolve) {
      if (!isLiteParent(context.parentURL)) return nextResolve(specifier, context);
      const shim = shims[specifier];
      if (shim !== undefined) return { url: shim, shortCircuit: true };
      const resolved = nextResolve(specifier, context);
      return LITE_MODULES.has(specifier) ? { ...resolved, url: resolved.url + LITE_QUERY } : resolved;
    },
  });
  try {
    const lite = (await import(configUrl + LITE_QUERY)) as { KubeConfig?: KubeConfigClass };
    if (typeof lite.KubeConfig !== 'function') throw new TypeError('config.js exports no KubeConfig');
    return lite.KubeConfig;
  } finally {
    // Every import of the lite graph is linked by now; later resolutions need no hook.
    hooks.deregister();
  }
}
