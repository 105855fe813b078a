/**
 * kubeseal's conversation with the Sealed Secrets controller, through the API server's service proxy:
 * the Service is read for the name of its first port, then `/v1/cert.pem`, `/v1/verify` or `/v1/rotate` is
 * called at `/api/v1/namespaces/<ns>/services/http:<name>:<port>/proxy/...`. Works with the Bitnami
 * controller and with Cloak's.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CloakError } from '../common/errors.ts';
import { kubeRequest, responseMessage, type KubeResponse } from '../kube/client.ts';

export interface ControllerRef {
  namespace: string;
  name: string;
  timeoutMs?: number | undefined;
}

export class ControllerError extends CloakError {}

/** The controller's 429 (`--rate-limit`): `retryAfterMs` is how long it asked to wait (Retry-After, else 1 s). */
export class ControllerRateLimitedError extends ControllerError {
  readonly retryAfterMs: number;

  constructor(code: string, message: string, retryAfterMs: number) {
    super(code, message);
    this.retryAfterMs = retryAfterMs;
  }
}

function rateLimited(code: string, what: string, response: KubeResponse): ControllerRateLimitedError {
  const header = response.headers?.['retry-after'];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 60) * 1000 : 1000;
  return new ControllerRateLimitedError(
    code,
    `${what}: the controller is rate-limiting requests (429)`,
    retryAfterMs,
  );
}

async function proxyPath(config: KubeConfig, controller: ControllerRef): Promise<string> {
  const namespacePath = `/api/v1/namespaces/${encodeURIComponent(controller.namespace)}`;
  const response = await kubeRequest(config, {
    method: 'GET',
    path: `${namespacePath}/services/${encodeURIComponent(controller.name)}`,
    timeoutMs: controller.timeoutMs,
  });
  if (response.status !== 200) {
    // Only a missing Service means the flags name the wrong controller; 401/403 and others have other causes.
    const hint =
      response.status === 404
        ? ' (use --controller-name and --controller-namespace to name the sealed secrets controller)'
        : '';
    throw new ControllerError(
      'ERR_CONTROLLER_SERVICE',
      `cannot get sealed secret service: ${responseMessage(response)}${hint}`,
    );
  }
  let service: { spec?: { ports?: { name?: string }[] } };
  try {
    service = JSON.parse(response.body.toString('utf8')) as typeof service;
  } catch {
    throw new ControllerError(
      'ERR_CONTROLLER_SERVICE',
      'cannot get sealed secret service: the API server answered with something other than JSON',
    );
  }
  const portName = service.spec?.ports?.[0]?.name ?? '';
  // The proxy addresses a port as scheme:name:port, with all three parts present even when the port is unnamed.
  const target = ['http', controller.name, portName].map(encodeURIComponent).join(':');
  return `${namespacePath}/services/${target}/proxy`;
}

export async function fetchCertificate(config: KubeConfig, controller: ControllerRef): Promise<Buffer> {
  const base = await proxyPath(config, controller);
  const response = await kubeRequest(config, {
    method: 'GET',
    path: `${base}/v1/cert.pem`,
    accept: 'application/x-pem-file, */*',
    timeoutMs: controller.timeoutMs,
  });
  if (response.status !== 200) {
    throw new ControllerError('ERR_FETCH_CERT', `cannot fetch certificate: ${responseMessage(response)}`);
  }
  return response.body;
}

/** Asks the controller whether it can unseal `sealedSecretJson`. */
export async function verifyWithController(
  config: KubeConfig,
  controller: ControllerRef,
  sealedSecretJson: string,
): Promise<void> {
  const response = await post(config, controller, '/v1/verify', sealedSecretJson);
  if (response.status === 409) throw new ControllerError('ERR_VERIFY', 'unable to decrypt sealed secret');
  if (response.status === 429) throw rateLimited('ERR_VERIFY', 'cannot validate sealed secret', response);
  if (response.status !== 200) {
    throw new ControllerError('ERR_VERIFY', `cannot validate sealed secret: ${responseMessage(response)}`);
  }
}

/** Asks the controller to re-seal `sealedSecretJson` with its newest key; returns the object it sends back. */
export async function rotateWithController(
  config: KubeConfig,
  controller: ControllerRef,
  sealedSecretJson: string,
): Promise<Record<string, unknown>> {
  const response = await post(config, controller, '/v1/rotate', sealedSecretJson);
  if (response.status === 409) throw new ControllerError('ERR_ROTATE', 'unable to rotate secret');
  if (response.status === 429) throw rateLimited('ERR_ROTATE', 'cannot re-encrypt secret', response);
  if (response.status !== 200)
    throw new ControllerError('ERR_ROTATE', `cannot re-encrypt secret: ${responseMessage(response)}`);
  try {
    return JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ControllerError(
      'ERR_ROTATE',
      'cannot re-encrypt secret: the controller answered with something other than JSON',
    );
  }
}

async function post(
  config: KubeConfig,
  controller: ControllerRef,
  endpoint: string,
  body: string,
): Promise<KubeResponse> {
  const base = await proxyPath(config, controller);
  return kubeRequest(config, {
    method: 'POST',
    path: `${base}${endpoint}`,
    body,
    timeoutMs: controller.timeoutMs,
  });
}
