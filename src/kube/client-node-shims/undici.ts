/**
 * Stands in for `undici` in the `KubeConfig` that `kube/client-node.ts` loads: `config.js` uses it only for the
 * fetch dispatcher of generated API clients (`applySecurityAuthentication`). Cloak's requests use Node's own
 * https with the Agent from `applyToHTTPSOptions` (proxies included), never these.
 */
import { ClientNodeApiUnavailableError } from './unavailable.ts';

export class Agent {
  constructor() {
    throw new ClientNodeApiUnavailableError('applySecurityAuthentication');
  }
}

export class ProxyAgent {
  constructor() {
    throw new ClientNodeApiUnavailableError('applySecurityAuthentication');
  }
}
