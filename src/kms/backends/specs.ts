/**
 * How the cloud backends' keys are named, checked before anything is loaded (the command line's usage errors).
 * Pure.
 */

/** An AWS KMS key or alias ARN; the first group is the region. */
export const AWS_KMS_KEY_ARN = /^arn:aws[\w-]*:kms:([a-z0-9-]+):\d{12}:(?:key|alias)\/[\w/+=,.@:-]+$/;

/** A Cloud KMS CryptoKey (not one of its versions). */
export const GCP_KMS_KEY = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

/** An Azure Key Vault key URL, `https://VAULT/keys/NAME` with an optional `/VERSION`. */
export const AZURE_KEY_URL = /^https:\/\/[^/]+\/keys\/[^/]+(?:\/[^/]*)?$/;
