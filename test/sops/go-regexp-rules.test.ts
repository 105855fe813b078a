import assert from 'node:assert/strict';
import { test } from 'node:test';

import { matchRule, parseConfig } from '../../src/sops/config.ts';
import { EncryptionRules, type EncryptionRuleSettings } from '../../src/sops/rules.ts';
import { outputWithinLimit } from '../helpers/time-limit.ts';

const encrypts = (settings: EncryptionRuleSettings, key: string): boolean =>
  new EncryptionRules(settings).shouldEncrypt([key], [], false);

test("the key rules are Go regular expressions with Go's meaning (sops runs regexp.MatchString)", () => {
  assert.equal(encrypts({ encryptedRegex: '^[[:^digit:]]+$' }, 'password'), true);
  assert.equal(encrypts({ encryptedRegex: '^[[:^digit:]]+$' }, 'key1'), false);
  assert.equal(encrypts({ unencryptedRegex: '^meta(?i)data$' }, 'metaDATA'), false);
  assert.equal(encrypts({ unencryptedRegex: '^meta(?i)data$' }, 'METAdata'), true);
  assert.equal(encrypts({ encryptedRegex: '(?m)^b' }, 'a\rb'), false); // only \n ends a line
  assert.equal(encrypts({ encryptedRegex: '^a.b$' }, 'a\rb'), true);
  assert.equal(encrypts({ encryptedRegex: 'a$' }, 'a\n'), false); // $ is the end of the text
  assert.equal(encrypts({ encryptedRegex: '^.$' }, '🔑'), true); // one rune
  const comments = new EncryptionRules({ encryptedCommentRegex: '^[[:space:]]*sops:(?i)ENC$' });
  assert.equal(comments.shouldEncrypt(['secret'], [[' sops:enc']], false), true);
});

test("a key rule Go refuses is refused with Go's message", () => {
  assert.throws(() => new EncryptionRules({ encryptedRegex: 'a(?=b)' }), {
    code: 'ERR_REGEXP',
    message: 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
  });
  assert.throws(() => new EncryptionRules({ unencryptedRegex: '(a)\\1' }), {
    code: 'ERR_REGEXP',
    message: 'error parsing regexp: invalid escape sequence: `\\1`',
  });
});

test('encrypted_regex (a+)+$ against a long key of a’s answers at once', () => {
  const module = new URL('../../src/sops/rules.ts', import.meta.url).href;
  const output = outputWithinLimit(`
    const { EncryptionRules } = await import(${JSON.stringify(module)});
    const rules = new EncryptionRules({ encryptedRegex: '(a+)+$' });
    const key = 'a'.repeat(10000);
    process.stdout.write(JSON.stringify([rules.shouldEncrypt([key + '!'], [], false), rules.shouldEncrypt([key], [], false)]));
  `);
  assert.equal(output, '[false,true]', 'killed at the time limit: the match backtracked');
});

test('path_regex is a Go regular expression; a bad one names its rule', () => {
  const config = parseConfig(
    `creation_rules:
  - path_regex: ^secrets/[[:alnum:]]+(?i)\\.YAML$
    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
  - age: age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw
`,
    '/repo/.sops.yaml',
  );
  assert.equal(matchRule(config, '/repo/secrets/db.yaml')?.index, 0);
  assert.equal(matchRule(config, '/repo/secrets/db-1.yaml')?.index, 1);
  assert.throws(() => parseConfig('creation_rules:\n  - path_regex: (a\n', '/r/.sops.yaml'), {
    code: 'ERR_SOPS_CONFIG',
    message: '/r/.sops.yaml: creation_rules[0].path_regex: error parsing regexp: missing closing ): `(a`',
  });
});
