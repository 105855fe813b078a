/**
 * Unsealing many SealedSecrets at once: every sealed value of every object becomes one open request, the
 * requests go to a ValueOpener (in this thread, or a pool of worker threads), and the answers are put back
 * together per object. No I/O here; the opener decides where the RSA work runs.
 */
import { CloakError } from '../common/errors.ts';
import type { Keyring } from './keyring.ts';
import type { Secret } from '../kube/objects.ts';
import {
  assembleSecret,
  hasTemplates,
  planUnseal,
  type ItemFailure,
  type SealedSecret,
  type SecretTemplateRenderer,
  type UnsealPlan,
  type UnsealPlanOptions,
} from './sealed-secret.ts';

export interface OpenRequest {
  data: Uint8Array;
  label: Uint8Array;
  hint?: string | undefined;
}

/** `rsaOperations`: the RSA private-key operations spent on the value (0 when it was malformed). */
export type OpenResult =
  | { ok: true; plaintext: Uint8Array; fingerprint: string; rsaOperations: number }
  | { ok: false; noKey: boolean; reason: string; rsaOperations: number };

export interface ValueOpener {
  open(requests: readonly OpenRequest[]): Promise<OpenResult[]>;
}

/** Opens values with `keyring` in the calling thread. Used for small batches and inside workers. */
export function openInThread(keyring: Keyring, request: OpenRequest): OpenResult {
  try {
    const { opened, rsaOperations } = keyring.openCounting(request.data, request.label, request.hint);
    if (opened)
      return { ok: true, plaintext: opened.plaintext, fingerprint: opened.key.fingerprint, rsaOperations };
    return { ok: false, noKey: true, reason: 'no key could decrypt secret', rsaOperations };
  } catch (error) {
    const reason = error instanceof CloakError ? error.message : 'malformed sealed value';
    return { ok: false, noKey: false, reason, rsaOperations: 0 };
  }
}

export function inThreadOpener(keyring: Keyring): ValueOpener {
  return {
    open: (requests) => Promise.resolve(requests.map((request) => openInThread(keyring, request))),
  };
}

export interface UnsealInput {
  sealed: SealedSecret;
  where: string;
}

export type UnsealOutcome = { where: string; secret: Secret } | { where: string; error: CloakError };

export interface UnsealOptions extends UnsealPlanOptions {
  /** Used (once per call) when no `renderTemplates` is given and some input has templates to render. */
  loadTemplateRenderer?: (() => Promise<SecretTemplateRenderer>) | undefined;
}

/** Unseals every input; each gets its Secret or its own error, in input order. */
export async function unsealAll(
  inputs: readonly UnsealInput[],
  opener: ValueOpener,
  options: UnsealOptions = {},
): Promise<UnsealOutcome[]> {
  const { loadTemplateRenderer } = options;
  const renderTemplates =
    options.renderTemplates ??
    (loadTemplateRenderer && inputs.some(({ sealed }) => hasTemplates(sealed))
      ? await loadTemplateRenderer()
      : undefined);
  const plans: (UnsealPlan | CloakError)[] = inputs.map(({ sealed, where }) => {
    try {
      return planUnseal(sealed, where, { renderTemplates });
    } catch (error) {
      if (error instanceof CloakError) return error;
      throw error;
    }
  });
  const requests: OpenRequest[] = [];
  for (const plan of plans) {
    if (plan instanceof CloakError) continue;
    for (const value of plan.values) requests.push({ data: value.data, label: plan.label, hint: plan.hint });
  }
  const results = requests.length > 0 ? await opener.open(requests) : [];
  let next = 0;
  return plans.map((plan, index) => {
    const where = inputs[index]?.where ?? '';
    if (plan instanceof CloakError) return { where, error: plan };
    const opened = new Map<string, Buffer>();
    const failures: ItemFailure[] = [];
    for (const value of plan.values) {
      const result = results[next++];
      if (result?.ok) opened.set(value.item, Buffer.from(result.plaintext));
      else
        failures.push({
          item: value.item,
          reason: result?.reason ?? 'not opened',
          noKey: result?.noKey ?? false,
        });
    }
    try {
      return { where, secret: assembleSecret(plan, opened, failures) };
    } catch (error) {
      if (error instanceof CloakError) return { where, error };
      throw error;
    }
  });
}
