/**
 * The SealedSecret controller's Prometheus metrics: the Bitnami controller's, under its names and labels
 * (sealed_secrets_controller_*, so its dashboards and alerts keep working), and Cloak's own (cloak_*): RSA
 * operations spent, unseals skipped because nothing changed, Secret writes, keys. Labels carry names of
 * objects and reasons, never values.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ErrorReason } from './reconcile.ts';

/** The label upstream derives from the SealedSecret's `app.kubernetes.io/instance` label. */
const INSTANCE_LABEL = 'app.kubernetes.io/instance';

export class SealedSecretsMetrics {
  readonly unsealRequests: Counter;
  readonly unsealErrors: Counter<'reason' | 'namespace'>;
  readonly conditionInfo: Gauge<'namespace' | 'name' | 'condition' | 'ss_app_kubernetes_io_instance'>;
  readonly httpRequests: Counter<'path' | 'code' | 'method'>;
  readonly httpDuration: Histogram<'path' | 'method'>;
  readonly rsaOperations: Counter;
  readonly unsealSkipped: Counter;
  readonly secretWrites: Counter<'action'>;
  readonly keys: Gauge;
  readonly malformedKeys: Gauge;
  readonly keyGenerations: Counter<'trigger'>;

  constructor(registry: Registry, revision: string) {
    const registers = [registry];
    new Gauge({
      name: 'sealed_secrets_controller_build_info',
      help: 'The running build, as its revision label; always 1.',
      labelNames: ['revision'],
      registers,
    }).set({ revision }, 1);
    this.unsealRequests = new Counter({
      name: 'sealed_secrets_controller_unseal_requests_total',
      help: 'SealedSecret reconciles started (each one is an unseal request in upstream terms).',
      registers,
    });
    this.unsealErrors = new Counter({
      name: 'sealed_secrets_controller_unseal_errors_total',
      help: 'Reconciles that failed, by stage (fetch, unseal, update, unmanaged, status) and namespace.',
      labelNames: ['reason', 'namespace'],
      registers,
    });
    this.conditionInfo = new Gauge({
      name: 'sealed_secrets_controller_condition_info',
      help: 'Each SealedSecret condition: 1 when True, -1 when False, 0 when Unknown or not set.',
      labelNames: ['namespace', 'name', 'condition', 'ss_app_kubernetes_io_instance'],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'sealed_secrets_controller_http_requests_total',
      help: 'HTTP API requests, by path, status code and method.',
      labelNames: ['path', 'code', 'method'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'sealed_secrets_controller_http_request_duration_seconds',
      help: 'HTTP API request durations in seconds, by path and method.',
      labelNames: ['path', 'method'],
      registers,
    });
    this.rsaOperations = new Counter({
      name: 'cloak_sealed_secrets_rsa_decryptions_total',
      help: 'RSA private-key operations spent opening sealed values (the cost of unsealing).',
      registers,
    });
    this.unsealSkipped = new Counter({
      name: 'cloak_sealed_secrets_unseal_skipped_total',
      help: 'Reconciles that found the Secret already unsealed from the same inputs, so decrypted nothing.',
      registers,
    });
    this.secretWrites = new Counter({
      name: 'cloak_sealed_secrets_secret_writes_total',
      help: 'Secrets created or updated by the SealedSecret controller.',
      labelNames: ['action'],
      registers,
    });
    this.keys = new Gauge({
      name: 'cloak_sealing_keys',
      help: 'Sealing keys the controller can unseal with.',
      registers,
    });
    this.malformedKeys = new Gauge({
      name: 'cloak_sealing_keys_malformed',
      help: 'Key Secrets that could not be read and are skipped.',
      registers,
    });
    this.keyGenerations = new Counter({
      name: 'cloak_sealing_key_generations_total',
      help: 'Sealing keys generated, by what asked for them.',
      labelNames: ['trigger'],
      registers,
    });
  }

  unsealError(reason: ErrorReason, namespace: string): void {
    this.unsealErrors.inc({ reason, namespace });
  }

  observeCondition(
    meta: { namespace?: string; name?: string; labels?: Record<string, string> },
    condition: string,
    value: number,
  ): void {
    this.conditionInfo.set(conditionLabels(meta, condition), value);
  }

  forgetCondition(
    meta: { namespace?: string; name?: string; labels?: Record<string, string> },
    condition: string,
  ): void {
    this.conditionInfo.remove(conditionLabels(meta, condition));
  }
}

function conditionLabels(
  meta: { namespace?: string; name?: string; labels?: Record<string, string> },
  condition: string,
): Record<'namespace' | 'name' | 'condition' | 'ss_app_kubernetes_io_instance', string> {
  return {
    namespace: meta.namespace ?? '',
    name: meta.name ?? '',
    condition,
    ss_app_kubernetes_io_instance: meta.labels?.[INSTANCE_LABEL] ?? '',
  };
}
