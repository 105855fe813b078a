/**
 * The Sealed Secrets controller's template renderer, loaded when first needed (`unsealAll`'s
 * `loadTemplateRenderer`): the template engine and sprig weigh 12–15 MB, which a controller or a `cloak unseal`
 * whose SealedSecrets have no templates need not carry.
 */
import type { SecretTemplateRenderer } from './sealed-secret.ts';

export function loadSealedSecretsTemplateRenderer(): Promise<SecretTemplateRenderer> {
  return import('./secret-templates.ts').then((templates) => templates.sealedSecretsTemplateRenderer());
}
