/**
 * Lazy access to the cluster named by the kubectl flags. Nothing cluster-related is loaded until a command
 * needs it, so that sealing with --cert starts as fast as it can.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CloakError } from '../common/errors.ts';
import type { KubeOptions } from '../kube/client.ts';
import { kubeOptionsFrom, requestTimeoutMs, type KubectlFlagValues } from './kube-flags.ts';

export class ClusterAccess {
  readonly options: KubeOptions;
  readonly timeoutMs: number | undefined;
  #config: Promise<KubeConfig> | undefined;

  constructor(flags: KubectlFlagValues) {
    this.options = kubeOptionsFrom(flags);
    this.timeoutMs = requestTimeoutMs(flags.requestTimeout);
  }

  config(): Promise<KubeConfig> {
    this.#config ??= import('../kube/client.ts').then(({ loadKubeConfig }) => loadKubeConfig(this.options));
    return this.#config;
  }

  /** The kubeconfig context's namespace; `missing` explains the error when there is no kubeconfig at all. */
  async contextNamespace(missing: string): Promise<string> {
    const { contextNamespace, kubeconfigAvailable } = await import('../kube/client.ts');
    if (!kubeconfigAvailable(this.options)) throw new CloakError('ERR_NO_NAMESPACE', missing);
    return contextNamespace(await this.config());
  }
}
