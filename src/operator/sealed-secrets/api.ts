/**
 * What the controller's HTTP API does with a posted SealedSecret (no I/O here; the RSA work goes to the
 * opener it is given): /v1/verify answers whether it unseals, /v1/rotate re-seals it with the newest key.
 * Bodies are one SealedSecret, JSON or YAML; several YAML documents are refused, as upstream refuses them.
 */
import { CloakError } from '../../common/errors.ts';
import { parseManifests } from '../../manifests/decode.ts';
import type { Secret } from '../../kube/objects.ts';
import { scopeOf, withScopeAnnotations } from '../../sealing/scope.ts';
import {
  canonicalSealedSecret,
  readSealedSecret,
  sealSecret,
  type SealedSecret,
  type SealingCertificateKey,
  type SecretTemplateRenderer,
} from '../../sealing/sealed-secret.ts';
import { unsealAll, type ValueOpener } from '../../sealing/unseal.ts';

export class RequestBodyError extends CloakError {}

const WHERE = 'request body';

/** The one SealedSecret in a request body; anything else is a RequestBodyError (answered with 500). */
export function decodeSealedSecretBody(body: Uint8Array): SealedSecret {
  let objects;
  try {
    objects = parseManifests(Buffer.from(body).toString('utf8'), WHERE);
  } catch (error) {
    throw new RequestBodyError('ERR_BODY', (error as Error).message);
  }
  if (objects.length !== 1)
    throw new RequestBodyError(
      'ERR_BODY',
      objects.length === 0 ? `${WHERE}: no object found` : `${WHERE}: multi-document input is not supported`,
    );
  try {
    return readSealedSecret(objects[0] as Record<string, unknown>, WHERE);
  } catch (error) {
    throw new RequestBodyError('ERR_BODY', (error as Error).message);
  }
}

export interface UnsealContext {
  opener: ValueOpener;
  acceptV1Data: boolean;
  loadTemplateRenderer?: (() => Promise<SecretTemplateRenderer>) | undefined;
}

/** The Secret `sealed` unseals to; throws the reason it does not. */
export async function unsealOne(sealed: SealedSecret, context: UnsealContext): Promise<Secret> {
  if (sealed.spec.data !== undefined && !context.acceptV1Data)
    throw new CloakError('ERR_V1_DATA', 'spec.data (the deprecated v1 format) is not accepted');
  const [outcome] = await unsealAll([{ sealed, where: WHERE }], context.opener, {
    loadTemplateRenderer: context.loadTemplateRenderer,
  });
  if (!outcome) throw new CloakError('ERR_UNSEAL', 'nothing was unsealed');
  if ('error' in outcome) throw outcome.error;
  return outcome.secret;
}

/** /v1/verify: true when the controller's keys open every value. */
export async function verifies(sealed: SealedSecret, context: UnsealContext): Promise<boolean> {
  try {
    await unsealOne(sealed, context);
    return true;
  } catch (error) {
    if (error instanceof CloakError) return false;
    throw error;
  }
}

/**
 * /v1/rotate: the SealedSecret unsealed and sealed again with `key`, for the same name, namespace and
 * scope (the scope recorded on the SealedSecret's own metadata wins over its template's). Rendered templates
 * are sealed as values, as upstream does.
 */
export async function reseal(
  sealed: SealedSecret,
  key: SealingCertificateKey,
  context: UnsealContext,
): Promise<SealedSecret> {
  const secret = await unsealOne(sealed, context);
  secret.metadata.annotations = withScopeAnnotations(
    secret.metadata.annotations,
    scopeOf(sealed.metadata.annotations),
  );
  const resealed = sealSecret(secret, key, WHERE);
  return canonicalSealedSecret(resealed);
}
