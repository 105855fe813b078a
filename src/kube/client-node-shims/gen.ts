/**
 * Stands in for @kubernetes/client-node's generated API (`dist/gen/index.js`) in the `KubeConfig` that
 * `kube/client-node.ts` loads: `config.js` needs these two names only to build the configuration of generated
 * API clients (`makeApiClient`), which Cloak never makes. Using them is a bug, said plainly.
 */
import { ClientNodeApiUnavailableError } from './unavailable.ts';

export function createConfiguration(): never {
  throw new ClientNodeApiUnavailableError('makeApiClient');
}

export class ServerConfiguration {
  constructor() {
    throw new ClientNodeApiUnavailableError('makeApiClient');
  }
}
