import { CloakError } from '../../common/errors.ts';

/** A value that is not a well-formed encoding, or an object that cannot be encoded. Messages never quote data. */
export class CodecError extends CloakError {
  constructor(message: string) {
    super('ERR_CODEC', message);
  }
}
