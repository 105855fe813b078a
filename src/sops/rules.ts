/**
 * Which values of a document get encrypted: sops' six mutually exclusive rules (suffixes, key regexes, and
 * comment regexes for YAML), applied to the key path and the comments seen on the way. Pure.
 */
import { CloakError } from '../common/errors.ts';
import { compileGoRegexp, type GoPattern } from '../common/go-regexp/index.ts';

export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

export interface EncryptionRuleSettings {
  unencryptedSuffix?: string | undefined;
  encryptedSuffix?: string | undefined;
  unencryptedRegex?: string | undefined;
  encryptedRegex?: string | undefined;
  unencryptedCommentRegex?: string | undefined;
  encryptedCommentRegex?: string | undefined;
}

export const RULE_FIELDS = [
  ['unencryptedSuffix', 'unencrypted_suffix'],
  ['encryptedSuffix', 'encrypted_suffix'],
  ['unencryptedRegex', 'unencrypted_regex'],
  ['encryptedRegex', 'encrypted_regex'],
  ['unencryptedCommentRegex', 'unencrypted_comment_regex'],
  ['encryptedCommentRegex', 'encrypted_comment_regex'],
] as const;

/** At most one rule; none means sops' default, unencrypted_suffix `_unencrypted`. */
export function normalizeRules(settings: EncryptionRuleSettings): EncryptionRuleSettings {
  const set = RULE_FIELDS.filter(([field]) => settings[field]);
  if (set.length > 1) {
    throw new CloakError(
      'ERR_SOPS_RULES',
      `only one of ${RULE_FIELDS.map(([, name]) => name).join(', ')} may be set, found ${set.map(([, name]) => name).join(' and ')}`,
    );
  }
  if (set.length === 0) return { unencryptedSuffix: DEFAULT_UNENCRYPTED_SUFFIX };
  const [field] = set[0] as (typeof RULE_FIELDS)[number];
  return { [field]: settings[field] };
}

export class EncryptionRules {
  readonly settings: EncryptionRuleSettings;
  readonly #unencryptedRegex: GoPattern | undefined;
  readonly #encryptedRegex: GoPattern | undefined;
  readonly #unencryptedCommentRegex: GoPattern | undefined;
  readonly #encryptedCommentRegex: GoPattern | undefined;

  constructor(settings: EncryptionRuleSettings) {
    this.settings = normalizeRules(settings);
    const compile = (pattern: string | undefined): GoPattern | undefined =>
      pattern ? compileGoRegexp(pattern) : undefined;
    this.#unencryptedRegex = compile(this.settings.unencryptedRegex);
    this.#encryptedRegex = compile(this.settings.encryptedRegex);
    this.#unencryptedCommentRegex = compile(this.settings.unencryptedCommentRegex);
    this.#encryptedCommentRegex = compile(this.settings.encryptedCommentRegex);
  }

  /**
   * Whether the value (or comment) at `path` is encrypted. `comments` holds, per nesting level, the comments
   * seen since the last value at that level; for an encrypted-comment rule the comment being decided is the
   * last one, and it does not count for itself.
   */
  shouldEncrypt(
    path: readonly string[],
    comments: readonly (readonly string[])[],
    isComment: boolean,
  ): boolean {
    const { unencryptedSuffix, encryptedSuffix } = this.settings;
    if (unencryptedSuffix) return !path.some((key) => key.endsWith(unencryptedSuffix));
    if (encryptedSuffix) return path.some((key) => key.endsWith(encryptedSuffix));
    if (this.#unencryptedRegex) return !path.some((key) => this.#unencryptedRegex?.test(key));
    if (this.#encryptedRegex) return path.some((key) => this.#encryptedRegex?.test(key));
    if (this.#unencryptedCommentRegex) {
      return !comments.some((level) => level.some((text) => this.#unencryptedCommentRegex?.test(text)));
    }
    if (this.#encryptedCommentRegex) {
      const lastLevel = comments.length - 1;
      return comments.some((level, depth) =>
        level.some((text, index) => {
          if (isComment && depth === lastLevel && index === level.length - 1) return false;
          return this.#encryptedCommentRegex?.test(text) ?? false;
        }),
      );
    }
    return true;
  }
}
