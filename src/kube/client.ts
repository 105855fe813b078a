/**
 * Talking to a Kubernetes API server as kubectl does: configuration and authentication come from the official
 * client (`@kubernetes/client-node`: kubeconfig merging, exec plugins, in-cluster service accounts), plus the
 * kubectl override flags. Only its `KubeConfig` is loaded, on first use, without the generated API
 * (`client-node.ts`).
 */
import { existsSync } from 'node:fs';
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type * as HttpModule from 'node:http';
import type * as HttpsModule from 'node:https';
import type { Agent as HttpsAgent, RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { CloakError } from '../common/errors.ts';
import { kubeConfigClass } from './client-node.ts';

export interface KubeOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  cluster?: string | undefined;
  user?: string | undefined;
  server?: string | undefined;
  token?: string | undefined;
  insecureSkipTlsVerify?: boolean | undefined;
  certificateAuthority?: string | undefined;
  clientCertificate?: string | undefined;
  clientKey?: string | undefined;
}

export class KubeConfigError extends CloakError {}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** True when a kubeconfig (or an in-cluster service account) is there to be loaded. */
export function kubeconfigAvailable(options: KubeOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(
    options.kubeconfig ||
    env['KUBECONFIG'] ||
    existsSync(join(homedir(), '.kube', 'config')) ||
    existsSync(SERVICE_ACCOUNT_TOKEN),
  );
}

/**
 * Loads the kubeconfig kubectl would use and applies the override flags. Unlike the client's own
 * `loadFromDefault`, a missing configuration is an error, never a silent fallback to http://localhost:8080.
 */
export async function loadKubeConfig(
  options: KubeOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KubeConfig> {
  const KubeConfig = await kubeConfigClass();
  const loaded = new KubeConfig();
  try {
    if (options.kubeconfig) {
      loaded.loadFromFile(options.kubeconfig);
    } else if (env['KUBECONFIG'] || existsSync(join(homedir(), '.kube', 'config'))) {
      loaded.loadFromDefault();
    } else if (existsSync(SERVICE_ACCOUNT_TOKEN)) {
      loaded.loadFromCluster();
    } else {
      throw new KubeConfigError(
        'ERR_NO_KUBECONFIG',
        'no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or run inside a cluster',
      );
    }
  } catch (error) {
    if (error instanceof CloakError) throw error;
    throw new KubeConfigError('ERR_KUBECONFIG', `cannot load kubeconfig: ${(error as Error).message}`);
  }
  return withOverrides(loaded, options, KubeConfig);
}

function withOverrides(
  loaded: KubeConfig,
  options: KubeOptions,
  KubeConfigClass: new () => KubeConfig,
): KubeConfig {
  const contextName = options.context ?? loaded.getCurrentContext();
  const context: Context | null = contextName ? loaded.getContextObject(contextName) : null;
  if (options.context && !context) {
    throw new KubeConfigError(
      'ERR_KUBECONFIG',
      `context "${options.context}" does not exist in the kubeconfig`,
    );
  }
  const clusterName = options.cluster ?? context?.cluster;
  const userName = options.user ?? context?.user;
  const cluster = clusterName ? loaded.getCluster(clusterName) : null;
  if (options.cluster && !cluster)
    throw new KubeConfigError(
      'ERR_KUBECONFIG',
      `cluster "${options.cluster}" does not exist in the kubeconfig`,
    );
  const user = userName ? loaded.getUser(userName) : null;
  if (options.user && !user)
    throw new KubeConfigError('ERR_KUBECONFIG', `user "${options.user}" does not exist in the kubeconfig`);
  if (!cluster && !options.server) {
    throw new KubeConfigError(
      'ERR_KUBECONFIG',
      'the kubeconfig has no current context or cluster; use --context or --server',
    );
  }

  const effectiveCluster: Cluster = {
    ...(cluster ?? { name: 'cloak-override', server: '', skipTLSVerify: false }),
    ...(options.server ? { server: options.server } : {}),
    ...(options.insecureSkipTlsVerify ? { skipTLSVerify: true, caData: undefined, caFile: undefined } : {}),
    ...(options.certificateAuthority ? { caFile: options.certificateAuthority, caData: undefined } : {}),
  };
  const effectiveUser: User = {
    ...(user ?? { name: 'cloak-override' }),
    ...(options.token ? { token: options.token, exec: undefined, authProvider: undefined } : {}),
    ...(options.clientCertificate ? { certFile: options.clientCertificate, certData: undefined } : {}),
    ...(options.clientKey ? { keyFile: options.clientKey, keyData: undefined } : {}),
  };
  const effectiveContext: Context = {
    name: context?.name ?? 'cloak-override',
    cluster: effectiveCluster.name,
    user: effectiveUser.name,
    ...(context?.namespace ? { namespace: context.namespace } : {}),
  };
  const config = new KubeConfigClass();
  config.loadFromOptions({
    clusters: [effectiveCluster],
    users: [effectiveUser],
    contexts: [effectiveContext],
    currentContext: effectiveContext.name,
  });
  return config;
}

/** The namespace of the current context, "default" when the context names none (as kubectl). */
export function contextNamespace(config: KubeConfig): string {
  const context = config.getContextObject(config.getCurrentContext());
  return context?.namespace || 'default';
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. /api/v1/namespaces/default/services/x. */
  path: string;
  body?: Uint8Array | string | undefined;
  contentType?: string | undefined;
  accept?: string | undefined;
  timeoutMs?: number | undefined;
  /** Aborts the request (and, for a stream, ends it). */
  signal?: AbortSignal | undefined;
}

export interface KubeResponse {
  status: number;
  contentType: string;
  body: Buffer;
  /** The response headers (Retry-After, Warning, …). */
  headers?: IncomingHttpHeaders | undefined;
}

/** A response whose body is read as it arrives (WATCH). */
export interface KubeStreamResponse {
  status: number;
  contentType: string;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/**
 * Another way to the API server than the cluster's address: an agent whose connections reach an API server in
 * this process (`ControlPlane.loopbackAgent`), spoken to in plain HTTP. The kubeconfig still authenticates.
 */
export interface KubeTransport {
  agent: HttpAgent;
}

/** One HTTP request to the API server of the current context, authenticated as the kubeconfig says. */
export async function kubeRequest(config: KubeConfig, request: KubeRequest): Promise<KubeResponse> {
  const response = await kubeStream(config, request);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.body.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.body.on('error', reject);
    response.body.on('end', () =>
      resolve({
        status: response.status,
        contentType: response.contentType,
        body: Buffer.concat(chunks),
        headers: response.headers,
      }),
    );
  });
}

/**
 * Like `kubeRequest`, but resolves as soon as the status line and headers arrive, with the body still to be
 * read: for watches, whose body is a stream of events that lasts minutes.
 */
export async function kubeStream(
  config: KubeConfig,
  request: KubeRequest,
  transport?: KubeTransport,
): Promise<KubeStreamResponse> {
  const cluster = config.getCurrentCluster();
  if (!cluster?.server)
    throw new KubeConfigError('ERR_KUBECONFIG', 'the current context has no cluster server');
  const url = new URL(cluster.server.replace(/\/+$/, '') + request.path);
  const headers: Record<string, string> = { Accept: request.accept ?? 'application/json' };
  if (request.body !== undefined) headers['Content-Type'] = request.contentType ?? 'application/json';
  const options: RequestOptions = { method: request.method, headers };
  try {
    await config.applyToHTTPSOptions(options);
  } catch (error) {
    throw new KubeConfigError(
      'ERR_KUBE_AUTH',
      `cannot prepare the request to ${url.origin}: ${(error as Error).message}`,
    );
  }
  if (request.timeoutMs) options.timeout = request.timeoutMs;
  if (request.signal) options.signal = request.signal;
  const https = await httpsModule();
  if (transport) {
    url.protocol = 'http:';
    options.agent = transport.agent;
  } else {
    options.agent = keepAliveAgent(options.agent, https.Agent);
  }
  const { request: send } = url.protocol === 'http:' ? await httpModule() : https;
  return new Promise((resolve, reject) => {
    const outgoing = send(url, options, (response: IncomingMessage) =>
      resolve({
        status: response.statusCode ?? 0,
        contentType: String(response.headers['content-type'] ?? ''),
        headers: response.headers,
        body: response,
      }),
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`request to ${url.origin} timed out`)));
    outgoing.on('error', (error) =>
      reject(
        request.signal?.aborted
          ? new CloakError('ERR_KUBE_ABORTED', `request to ${url.origin} was cancelled`)
          : new CloakError(
              'ERR_KUBE_REQUEST',
              `cannot reach the API server at ${url.origin}: ${error.message}`,
            ),
      ),
    );
    outgoing.end(request.body);
  });
}

// Loaded on first use, not at the top: importing node:http also loads undici, 15 ms of every cloak start-up.
// Imported once: a dynamic import() per request costs tens of microseconds even when the module is loaded.
let httpsLoaded: Promise<typeof HttpsModule> | undefined;
let httpLoaded: Promise<typeof HttpModule> | undefined;
function httpsModule(): Promise<typeof HttpsModule> {
  return (httpsLoaded ??= import('node:https'));
}
function httpModule(): Promise<typeof HttpModule> {
  return (httpLoaded ??= import('node:http'));
}

const keepAliveAgents = new WeakMap<object, HttpsAgent>();

/**
 * client-node hands every request the Agent it cached for the cluster, made without keep-alive: every request
 * would open a connection and pay a TLS handshake (about 10 ms, on both ends). The same Agent with keep-alive
 * instead; proxy agents are left alone. Idle sockets close when the server's Keep-Alive timeout says so.
 */
function keepAliveAgent(agent: RequestOptions['agent'], Agent: typeof HttpsAgent): RequestOptions['agent'] {
  if (!(agent instanceof Agent) || (agent as { keepAlive?: boolean }).keepAlive) return agent;
  let kept = keepAliveAgents.get(agent);
  if (!kept) {
    // The Agent's timeout is the first request's; each request sets its own.
    const { timeout: _timeout, ...settings } = agent.options;
    kept = new Agent({ ...settings, keepAlive: true });
    keepAliveAgents.set(agent, kept);
  }
  return kept;
}

/** The message of a Kubernetes `Status` body, or the HTTP status when the body is something else. */
export function responseMessage(response: KubeResponse): string {
  try {
    const status = JSON.parse(response.body.toString('utf8')) as { kind?: string; message?: string };
    if (status.kind === 'Status' && status.message) return status.message;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const text = response.body.toString('utf8').trim().split('\n', 1)[0] ?? '';
  return text ? `${response.status}: ${text.slice(0, 200)}` : `HTTP ${response.status}`;
}
