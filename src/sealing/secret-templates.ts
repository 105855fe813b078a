/**
 * `spec.template.data` rendered as the Sealed Secrets controller renders it: each entry is a Go text/template
 * named after its key, with the controller's function set (sprig's GenericFuncMap without env, expandenv and
 * getHostByName), executed over a map of item name → unsealed plaintext (Go strings, so binary values pass
 * through), default missingkey. The output replaces or adds that item. Every template is tried; the failures are
 * reported together, each prefixed with its key as the controller's error list does. Messages never hold
 * values (the engine hides them unless asked).
 */
import { CloakError } from '../common/errors.ts';
import {
  byteStringFromBytes,
  byteStringFromText,
  goStringMap,
  renderTemplate,
  TemplateError,
  type FunctionSet,
} from '../template/index.ts';
import type { SecretTemplateRenderer } from './sealed-secret.ts';

export class SecretTemplateError extends CloakError {
  constructor(message: string) {
    super('ERR_SECRET_TEMPLATE', message);
  }
}

export function secretTemplateRenderer(functions: FunctionSet): SecretTemplateRenderer {
  return (templates, values) => {
    const data = goStringMap(
      [...values].map(
        ([item, plaintext]) => [byteStringFromText(item), byteStringFromBytes(plaintext)] as const,
      ),
    );
    const rendered = new Map<string, Buffer>();
    const failures: string[] = [];
    // Sorted, so that a SealedSecret with several broken templates always reports them in the same order.
    for (const key of Object.keys(templates).sort()) {
      try {
        rendered.set(
          key,
          Buffer.from(renderTemplate({ name: key, text: templates[key] ?? '', functions }, data)),
        );
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        failures.push(`${key}: ${error.message}`);
      }
    }
    if (failures.length > 0) throw new SecretTemplateError(`spec.template.data: ${failures.join('; ')}`);
    return rendered;
  };
}

let loaded: Promise<SecretTemplateRenderer> | undefined;

/** The controller's renderer, its functions loaded once, on first use (sprig is not small). */
export function sealedSecretsTemplateRenderer(): Promise<SecretTemplateRenderer> {
  loaded ??= import('../template/function-sets.ts').then(async ({ loadFunctionSet }) =>
    secretTemplateRenderer(await loadFunctionSet('sealed-secrets')),
  );
  return loaded;
}
