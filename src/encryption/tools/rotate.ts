/**
 * `cloak encryption config rotate`: kube's documented key rotation ("Rotate a decryption key"), one step per
 * call, on the configuration file's text:
 *
 * 1. one key → add a new key (same provider type) as the SECOND key: every API server learns to read it;
 * 2. the newest key second → move it FIRST: it encrypts from now on (then every object is rewritten);
 * 3. the newest key first, older ones after it → remove the older keys.
 *
 * The step is told by the key names' timestamps (`key-<UTC YYYYMMDDhhmmss>`, see key-names.ts), so the file
 * itself is the state: running the command again after each restart walks the procedure. Comments, order and
 * formatting of a YAML file are kept (the `yaml` library's Document API); a JSON file stays JSON. For a `kms`
 * provider nothing changes in the file: the key rotates in the KMS, and only a storage rewrite is needed.
 * Pure: text in, text and instructions out; the caller passes the time and the key bytes.
 */
import type { Document } from 'yaml';
import { yaml } from '../../manifests/yaml.ts';
import {
  parseEncryptionConfiguration,
  type EncryptionConfiguration,
  type KeyedProviderConfig,
  type KmsProviderConfig,
} from '../config.ts';
import { EncryptionToolError } from './errors.ts';
import { GENERATED_KEY_BYTES } from './generate.ts';
import { keyNameTimestamp, newKeyName } from './key-names.ts';
import { coveringEntry, parseResourceList, type ToolResource } from './resources.ts';
import { shellQuote } from './shell-quote.ts';

export type RotationStep = 1 | 2 | 3;
export type KeyedType = KeyedProviderConfig['type'];

export interface RotateOptions {
  /** The resources whose write provider rotates (default: secrets). */
  resources?: readonly ToolResource[] | undefined;
  now: Date;
  /** GENERATED_KEY_BYTES random bytes; called only when a key is added (step 1). */
  newKey: () => Uint8Array;
  /** How the file is named in messages and in the commands to run next. */
  file: string;
}

export interface KeyRotation {
  kind: 'keys';
  step: RotationStep;
  /** The file's new text. */
  text: string;
  provider: KeyedType;
  resources: string[];
  /** Step 1: the new key's name. */
  added?: string | undefined;
  /** Step 3: the keys removed. */
  removed: string[];
  /** The key that encrypts new writes after this step. */
  writer: string;
  /** What was done, one line each. */
  done: string[];
  /** What to do next, one line each (numbered steps and commands). */
  next: string[];
}

export interface KmsRotation {
  kind: 'kms';
  providerName: string;
  apiVersion: 'v1' | 'v2';
  resources: string[];
  done: string[];
  next: string[];
}

export type RotationResult = KeyRotation | KmsRotation;

/**
 * The step a provider's keys are at, from their names: one key → 1; the newest key second → 2; the newest
 * first (with others) → 3. Names without a timestamp count as older than any with one.
 */
export function rotationStep(keyNames: readonly string[]): { step: RotationStep; newest: string } {
  const fail = (message: string): never => {
    throw new EncryptionToolError('ERR_ENCRYPTION_ROTATE', message);
  };
  if (keyNames.length === 0) fail('the provider has no keys');
  if (keyNames.length === 1) return { step: 1, newest: keyNames[0] as string };
  const stamps = keyNames.map(keyNameTimestamp);
  let newestIndex = -1;
  let newestTime = -Infinity;
  let tie = false;
  stamps.forEach((stamp, index) => {
    if (stamp === undefined) return;
    if (stamp > newestTime) {
      newestTime = stamp;
      newestIndex = index;
      tie = false;
    } else if (stamp === newestTime) tie = true;
  });
  const list = keyNames.map((name) => JSON.stringify(name)).join(', ');
  if (newestIndex === -1) {
    fail(
      `cannot tell which key is the newest: none of the key names (${list}) ends in a timestamp ` +
        `(key-YYYYMMDDhhmmss); finish this rotation by hand, or leave one key and rotate again`,
    );
  }
  const newest = keyNames[newestIndex] as string;
  if (tie) {
    fail(`cannot tell which key is the newest: several key names (${list}) carry the same timestamp`);
  }
  if (newestIndex === 1) return { step: 2, newest };
  if (newestIndex === 0) return { step: 3, newest };
  return fail(
    `cannot tell the rotation step: the newest key ${JSON.stringify(newest)} is key ${newestIndex + 1} of ` +
      `${keyNames.length} (${list}); a rotation in progress has it second (next: move it first) or first ` +
      `(next: remove the others)`,
  );
}

interface Target {
  entry: number;
  resources: string[];
}

export function rotateEncryptionConfig(text: string, options: RotateOptions): RotationResult {
  const fail = (message: string): never => {
    throw new EncryptionToolError('ERR_ENCRYPTION_ROTATE', message);
  };
  const config = parseEncryptionConfiguration(text, { source: options.file });
  const targets = targetEntries(config, options.resources ?? parseResourceList('secrets'), options.file);
  const resources = targets.flatMap((target) => target.resources);
  const firstProviders = targets.map((target) => config.resources[target.entry]?.providers[0]);

  const kms = firstProviders.filter((provider) => provider?.type === 'kms');
  if (kms.length > 0) {
    if (kms.length !== firstProviders.length) {
      fail(
        `${resources.join(', ')} are written by different kinds of providers in ${options.file}: rotate them one at a time with --resources`,
      );
    }
    return kmsRotation(kms[0] as KmsProviderConfig, resources, options);
  }
  const identity = targets.find((_, index) => firstProviders[index]?.type === 'identity');
  if (identity) {
    fail(
      `${identity.resources.join(', ')} ${identity.resources.length > 1 ? 'are' : 'is'} written by the identity provider (no encryption) in ${options.file}: there is no key to rotate; ` +
        `put an encrypting provider first (cloak encryption config generate makes one)`,
    );
  }

  const keyed = firstProviders as KeyedProviderConfig[];
  const steps = keyed.map((provider) => rotationStep(provider.keys.map((key) => key.name)));
  const step = steps[0]?.step as RotationStep;
  const provider = keyed[0] as KeyedProviderConfig;
  if (steps.some((each) => each.step !== step) || keyed.some((each) => each.type !== provider.type)) {
    fail(
      `${resources.join(', ')} are at different rotation steps (or providers) in ${options.file}: rotate them one at a time with --resources`,
    );
  }
  const names = provider.keys.map((key) => key.name);
  const sameKeys = keyed.every((each) => each.keys.map((key) => key.name).join('\n') === names.join('\n'));
  if (!sameKeys) {
    fail(
      `${resources.join(', ')} use different keys in ${options.file}: rotate them one at a time with --resources`,
    );
  }

  const paths = targets.map((target) => ['resources', target.entry, 'providers', 0, provider.type, 'keys']);
  let added: string | undefined;
  let removed: string[] = [];
  let edit: (keys: unknown[], make: (value: object) => unknown) => void;
  if (step === 1) {
    added = newKeyName(options.now, names);
    const key = options.newKey();
    if (key.length !== GENERATED_KEY_BYTES) fail(`the new key must be ${GENERATED_KEY_BYTES} bytes`);
    const secret = Buffer.from(key).toString('base64');
    const name = added;
    edit = (keys, make) => keys.splice(1, 0, make({ name, secret }));
  } else if (step === 2) {
    edit = (keys) => keys.unshift(...keys.splice(1, 1));
  } else {
    removed = names.slice(1);
    edit = (keys) => keys.splice(1);
  }
  const updated = editKeyLists(text, paths, edit, options.file);

  // The result must be a configuration kube-apiserver accepts, with the keys where this step puts them.
  const check = parseEncryptionConfiguration(updated, { source: `${options.file} (rotated)` });
  const expected =
    step === 1
      ? [names[0], added, ...names.slice(1)]
      : step === 2
        ? [names[1], names[0], ...names.slice(2)]
        : [names[0]];
  for (const target of targets) {
    const first = check.resources[target.entry]?.providers[0];
    const got = first && first.type === provider.type ? first.keys.map((key) => key.name) : [];
    if (got.join('\n') !== expected.join('\n')) {
      fail(`${options.file}: the rotated file does not have the expected keys; it was left unchanged`);
    }
  }
  const writer = expected[0] ?? '';
  return {
    kind: 'keys',
    step,
    text: updated,
    provider: provider.type,
    resources,
    added,
    removed,
    writer,
    ...instructions(step, provider.type, names, added, resources, options.file),
  };
}

function targetEntries(
  config: EncryptionConfiguration,
  resources: readonly ToolResource[],
  file: string,
): Target[] {
  const targets: Target[] = [];
  for (const resource of resources) {
    const entry = coveringEntry(config, resource);
    if (entry === undefined) {
      throw new EncryptionToolError(
        'ERR_ENCRYPTION_ROTATE',
        `${file} does not cover ${resource.name}: it is stored in plain text, with no key to rotate`,
      );
    }
    const existing = targets.find((target) => target.entry === entry);
    if (existing) existing.resources.push(resource.name);
    else targets.push({ entry, resources: [resource.name] });
  }
  return targets;
}

/**
 * Applies `edit` to the keys list at each path: in place in a YAML document (comments kept), or on the parsed
 * object of a JSON file (written back as indented JSON).
 */
function editKeyLists(
  text: string,
  paths: readonly (string | number)[][],
  edit: (keys: unknown[], make: (value: object) => unknown) => void,
  file: string,
): string {
  const unexpected = (): never => {
    throw new EncryptionToolError(
      'ERR_ENCRYPTION_ROTATE',
      `${file}: cannot find the provider's keys list in the file (anchors or aliases there are not supported)`,
    );
  };
  if (/^\s*\{/.test(text)) {
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch {
      object = undefined;
    }
    if (object !== undefined) {
      for (const path of paths) {
        const keys = path.reduce<unknown>(
          (node, segment) =>
            node !== null && typeof node === 'object'
              ? (node as Record<string | number, unknown>)[segment]
              : undefined,
          object,
        );
        if (!Array.isArray(keys)) unexpected();
        edit(keys as unknown[], (value) => value);
      }
      return `${JSON.stringify(object, null, 2)}\n`;
    }
  }
  const { isSeq, parseAllDocuments } = yaml();
  const parsed = parseAllDocuments(text, { version: '1.1', uniqueKeys: true, keepSourceTokens: false });
  const documents = (Array.isArray(parsed) ? parsed : [parsed]) as Document[];
  const document = documents.find((each) => {
    const value: unknown = each.toJS();
    return value !== null && value !== undefined;
  });
  if (!document) return unexpected();
  for (const path of paths) {
    const keys: unknown = document.getIn(path, true);
    if (!isSeq(keys)) return unexpected();
    const seq = keys;
    edit(seq.items, (value) => document.createNode(value));
  }
  return documents.map((each) => each.toString({ lineWidth: 0 })).join('');
}

function instructions(
  step: RotationStep,
  provider: KeyedType,
  names: readonly string[],
  added: string | undefined,
  resources: readonly string[],
  file: string,
): { done: string[]; next: string[] } {
  const quoted = (name: string | undefined): string => JSON.stringify(name ?? '');
  const what = resources.join(', ');
  const rotateAgain = `cloak encryption config rotate ${shellQuote(file)}${resourcesFlag(resources)}`;
  const restart =
    'Restart every kube-apiserver so that each one loads the file (with --encryption-provider-config-automatic-reload, wait until each has reloaded it, about a minute).';
  if (step === 1) {
    return {
      done: [
        `step 1 of 3: added ${provider} key ${quoted(added)} as the second key for ${what} in ${file}; ${quoted(names[0])} still encrypts new writes.`,
      ],
      next: [
        `1. Back up ${file} securely: it now holds the new key.`,
        `2. ${restart} Each can then read data written with ${quoted(added)}.`,
        `3. Then run: ${rotateAgain}`,
      ],
    };
  }
  if (step === 2) {
    const kubectlResources = resources.join(',');
    return {
      done: [
        `step 2 of 3: moved ${provider} key ${quoted(names[1])} first for ${what} in ${file}: it encrypts new writes; ${quoted(names[0])} stays to read older data.`,
      ],
      next: [
        `1. ${restart}`,
        `2. Re-encrypt every object: cloak encryption rewrite${resourcesFlag(resources)}`,
        `   (or: kubectl get ${kubectlResources} -A -o json | kubectl replace -f -)`,
        `3. Check that nothing is left under the old key: cloak encryption verify --etcd-endpoints URLS --config ${shellQuote(file)}${resourcesFlag(resources)}`,
        `4. Then run: ${rotateAgain}`,
      ],
    };
  }
  const removed = names.slice(1).map(quoted).join(', ');
  return {
    done: [
      `step 3 of 3: removed ${provider} key${names.length > 2 ? 's' : ''} ${removed} for ${what} from ${file}; ${quoted(names[0])} is the only key.`,
    ],
    next: [
      `1. ${restart}`,
      `The rotation is complete. Data still written with ${removed} can no longer be read: keep a backup of the previous file until you are sure.`,
    ],
  };
}

function kmsRotation(provider: KmsProviderConfig, resources: string[], options: RotateOptions): KmsRotation {
  const what = resources.join(', ');
  const next = [
    `1. Rotate the key-encryption key in the KMS; with cloak's plugin: cloak kms-plugin rotate --key-file KEYFILE`,
    `   (other KMSs: rotate the key there; the plugin must then report the new key ID).`,
    provider.apiVersion === 'v2'
      ? `2. Wait until every kube-apiserver has seen the new key ID (its status poll runs every minute).`
      : `2. Restart every kube-apiserver, or wait for the plugin to use the new key.`,
    `3. Re-encrypt every object: cloak encryption rewrite${resourcesFlag(resources)}`,
    `   (or: kubectl get ${resources.join(',')} -A -o json | kubectl replace -f -)`,
    `4. Check: cloak encryption verify --etcd-endpoints URLS --config ${shellQuote(options.file)}${resourcesFlag(resources)}`,
    `5. Only then remove the old key from the KMS (cloak kms-plugin prune --key-file KEYFILE --keep 1).`,
  ];
  if (provider.apiVersion === 'v1') {
    next.push(
      'Note: KMS v1 is deprecated (off by default since Kubernetes 1.29); consider moving to KMS v2.',
    );
  }
  return {
    kind: 'kms',
    providerName: provider.name,
    apiVersion: provider.apiVersion,
    resources,
    done: [
      `${what} ${resources.length > 1 ? 'are' : 'is'} encrypted by the kms provider ${JSON.stringify(provider.name)} (KMS ${provider.apiVersion}): its keys rotate in the KMS, not in ${options.file}, which was left unchanged.`,
    ],
    next,
  };
}

function resourcesFlag(resources: readonly string[]): string {
  return resources.length === 1 && resources[0] === 'secrets' ? '' : ` --resources ${resources.join(',')}`;
}
