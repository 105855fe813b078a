/**
 * A store reads and writes one file format (sops' "stores"): YAML, JSON, dotenv, INI, or binary. It only
 * converts text to the document tree and back; encryption happens on the tree (see ../crypt.ts). Pure.
 */
import { CloakError } from '../../common/errors.ts';
import type { PlainMetadata, SopsDocument, SopsMap, SopsValue } from '../tree.ts';

export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

export interface EmitOptions {
  /** Indentation from `.sops.yaml` `stores.<format>.indent` (YAML default 4; JSON default a tab). */
  indent?: number | undefined;
}

export interface Store {
  readonly format: SopsFormat;
  /** A plaintext file, one branch per document. A `sops` key at the top level is an error. */
  parsePlain(text: string, source: string): SopsMap[];
  /**
   * An encrypted file: values still hold their ENC[…] strings, and the `sops` block (flattened in dotenv and
   * INI) comes back as plain nested data. A file without it is an error saying the file is not encrypted.
   */
  parseEncrypted(text: string, source: string): SopsDocument;
  /** Writes branches and metadata the way sops writes them. `document.metadata` must be present. */
  emitEncrypted(document: SopsDocument, options?: EmitOptions): string;
  emitPlain(branches: SopsMap[], options?: EmitOptions): string;
  /** One value on its own, as `sops decrypt --extract` prints it. */
  emitValue(value: SopsValue, options?: EmitOptions): string;
}

/** The metadata an encrypted file must be written with; a programming error when missing. */
export function requireMetadata(document: SopsDocument, format: SopsFormat): PlainMetadata {
  if (document.metadata === undefined) {
    throw new CloakError(
      'ERR_SOPS_NO_METADATA',
      `cannot write an encrypted ${format} file without SOPS metadata`,
    );
  }
  return document.metadata;
}
