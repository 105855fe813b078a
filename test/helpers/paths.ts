import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLOAK_BIN = fileURLToPath(new URL('../../bin/cloak', import.meta.url));
/** The shared vectors live beside the repository, never inside it. */
export const VECTORS = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));
export const SEALED_SECRETS_VECTORS = `${VECTORS}sealed-secrets/`;
