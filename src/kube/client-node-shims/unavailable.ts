import { CloakError } from '../../common/errors.ts';

/** A part of @kubernetes/client-node that Cloak does not load was used (kube/client-node.ts). */
export class ClientNodeApiUnavailableError extends CloakError {
  constructor(what: string) {
    super(
      'ERR_CLIENT_NODE_UNAVAILABLE',
      `@kubernetes/client-node's ${what} is not available: cloak loads its KubeConfig without the generated API`,
    );
  }
}
