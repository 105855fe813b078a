/**
 * Every failure Cloak reports to a user is a CloakError: a stable machine-readable `code` and a message
 * that fits on one line and never contains a secret value.
 */
export class CloakError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The command line itself is wrong (flag combinations, missing arguments): exit status 2. */
export class UsageError extends CloakError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Several independent failures of one command (one per input object): each is printed on its own line. */
export class ErrorList extends CloakError {
  readonly errors: readonly CloakError[];

  constructor(errors: readonly CloakError[]) {
    super(errors[0]?.code ?? 'ERR_MULTIPLE', errors.map((error) => error.message).join('; '));
    this.errors = errors;
  }
}
