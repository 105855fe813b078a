/** The kubectl flags that select and authenticate the cluster, shared by every command that talks to one. */
import type { Command } from 'commander';
import { parseGoDuration } from '../common/duration.ts';
import type { KubeOptions } from '../kube/client.ts';

export interface KubectlFlagValues {
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  requestTimeout?: string;
}

export function addKubectlFlags(command: Command): Command {
  return command
    .option('-n, --namespace <namespace>', "namespace for this request (default: the kubeconfig context's)")
    .option('--kubeconfig <file>', 'path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('--cluster <name>', 'kubeconfig cluster to use')
    .option('--user <name>', 'kubeconfig user to use')
    .option('-s, --server <url>', 'address of the Kubernetes API server')
    .option('--token <token>', 'bearer token for authentication to the API server')
    .option('--insecure-skip-tls-verify', "do not check the API server's certificate (insecure)")
    .option('--certificate-authority <file>', 'CA certificate file for the API server')
    .option('--client-certificate <file>', 'client certificate file for TLS')
    .option('--client-key <file>', 'client key file for TLS')
    .option(
      '--request-timeout <duration>',
      'time to wait for a single API request (e.g. 30s; 0 waits forever)',
    );
}

export function kubeOptionsFrom(values: KubectlFlagValues): KubeOptions {
  return {
    kubeconfig: values.kubeconfig,
    context: values.context,
    cluster: values.cluster,
    user: values.user,
    server: values.server,
    token: values.token,
    insecureSkipTlsVerify: values.insecureSkipTlsVerify,
    certificateAuthority: values.certificateAuthority,
    clientCertificate: values.clientCertificate,
    clientKey: values.clientKey,
  };
}

/** kubectl's --request-timeout: a Go duration or plain seconds, in milliseconds; undefined for none. */
export function requestTimeoutMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : parseGoDuration(value, '--request-timeout');
  return ms > 0 ? Math.ceil(ms) : undefined;
}
