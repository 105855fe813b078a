/** Defaults of the Sealed Secrets controller and kubeseal that several modules (and the CLI's help) share. */
export const DEFAULT_CONTROLLER_NAMESPACE = 'kube-system';
export const DEFAULT_CONTROLLER_NAME = 'sealed-secrets-controller';
export const DEFAULT_KEY_PREFIX = 'sealed-secrets-key';
export const DEFAULT_KEY_BITS = 4096;
export const KEY_SIZES = [2048, 3072, 4096] as const;
export const DEFAULT_KEY_TTL = '87600h';
