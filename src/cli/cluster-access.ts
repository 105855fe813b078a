/** Lazy access to the cluster named by the kubectl flags: nothing is loaded until a command needs it. */
import type { KubeConfig } from '@kubernetes/client-node';
import { CloakError } from '../common/errors.ts';
import {
  contextNamespace,
  kubeconfigAvailable,
  loadKubeConfig,
  parseRequestTimeout,
  type KubeOptions,
} from '../kube/client.ts';
import { kubeOptionsFrom, type KubectlFlagValues } from './kube-flags.ts';

export class ClusterAccess {
  readonly options: KubeOptions;
  readonly timeoutMs: number | undefined;
  #config: Promise<KubeConfig> | undefined;

  constructor(flags: KubectlFlagValues) {
    this.options = kubeOptionsFrom(flags);
    this.timeoutMs = parseRequestTimeout(flags.requestTimeout);
  }

  config(): Promise<KubeConfig> {
    this.#config ??= loadKubeConfig(this.options);
    return this.#config;
  }

  /** The kubeconfig context's namespace; `missing` explains the error when there is no kubeconfig at all. */
  async contextNamespace(missing: string): Promise<string> {
    if (!kubeconfigAvailable(this.options)) throw new CloakError('ERR_NO_NAMESPACE', missing);
    return contextNamespace(await this.config());
  }
}
