/**
 * The Vault injector's template functions. The injector renders consul-template, whose function map is its
 * own (not sprig's). Of it, the reference note names toJSON, which the injector's default JSON template uses
 * (`{{ with secret "<path>" }}{{ .Data | toJSON }}{{ end }}`); that is what Cloak has. consul-template's
 * data functions (secret, key, service…) read Vault and Consul and are added by the caller that has them.
 */
import { defineFunction } from '../../functions.ts';
import { GoFuncError } from '../../errors.ts';
import type { GoFunc } from '../../values.ts';
import { JsonError, marshalJson } from '../sprig/json.ts';

/** consul-template's toJSON: json.Marshal (HTML-escaped, as Go's default), errors wrapped "toJSON: …". */
export const toJSON = defineFunction({
  name: 'toJSON',
  params: ['interface {}'],
  result: 'string',
  returnsError: true,
  call: ([value], context) => {
    try {
      return marshalJson(value ?? null, {
        escapeHtml: true,
        charge: (steps) => context.charge(steps),
      }).trim();
    } catch (error) {
      if (error instanceof JsonError) throw new GoFuncError(`toJSON: ${error.message}`);
      throw error;
    }
  },
});

export const injectorFunctions: readonly GoFunc[] = [toJSON];
