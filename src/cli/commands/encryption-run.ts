/**
 * What `cloak encryption config generate|rotate`, `verify` and `decrypt` do (see encryption.ts for the flags).
 * The decisions are in src/encryption/tools/; this module reads files and etcd, calls KMS plugins, and writes
 * the output. Nothing here prints a key or a stored value, except decrypt's output, which is its purpose.
 */
import { randomBytes } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import type { Storage, StoredValue } from '../../apiserver/storage/storage.ts';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import { CloakError, ErrorList, UsageError, errorMessage } from '../../common/errors.ts';
import {
  parseEncryptionConfiguration,
  type EncryptionConfiguration,
  type KmsProviderConfig,
} from '../../encryption/config.ts';
import type { KmsService } from '../../encryption/kms-service.ts';
import {
  describeProvider,
  describeStoredValue,
  encryptionTransformers,
  type EncryptionTransformers,
  type StoredValueDescription,
} from '../../encryption/transformer.ts';
import {
  absoluteKey,
  decryptEntries,
  kubectlView,
  selectEntries,
  type StoredEntry,
} from '../../encryption/tools/decrypt.ts';
import { parseEtcdctlDump } from '../../encryption/tools/dump.ts';
import { EncryptionConfigError } from '../../encryption/errors.ts';
import { EncryptionToolError } from '../../encryption/tools/errors.ts';
import {
  GENERATED_KEY_BYTES,
  GENERATED_PROVIDERS,
  generateEncryptionConfig,
  type GeneratedConfig,
  type GeneratedProvider,
} from '../../encryption/tools/generate.ts';
import {
  parseResourceList,
  resourceKeyPrefix,
  resourceProviders,
  type ToolResource,
} from '../../encryption/tools/resources.ts';
import { rotateEncryptionConfig } from '../../encryption/tools/rotate.ts';
import {
  buildVerifyReport,
  classifyStoredValue,
  formatVerifyText,
  markUnreadable,
  verifyFailed,
  verifyReportJson,
  type ObjectReport,
  type ResourceExpectation,
} from '../../encryption/tools/verify.ts';
import type { KmsClient } from '../../kms/grpc.ts';
import { toGoJson, toKubeYaml } from '../../manifests/encode.ts';
import { readInputFile, writeOutput } from '../io.ts';
import type { DecryptFlags, EtcdFlags, GenerateFlags, RotateFlags, VerifyFlags } from './encryption.ts';
import { describeFsError } from '../../common/fs-errors.ts';

const PAGE_SIZE = 500;

// ---------- config generate ----------

export async function runConfigGenerate(flags: GenerateFlags): Promise<void> {
  const provider = flags.provider;
  if (provider === undefined) {
    throw new UsageError(`--provider is required: ${GENERATED_PROVIDERS.join(', ')}`);
  }
  if (!(GENERATED_PROVIDERS as readonly string[]).includes(provider)) {
    throw new UsageError(`--provider must be ${GENERATED_PROVIDERS.join(', ')}, not "${provider}"`);
  }
  const resources = flags.resources
    .split(',')
    .map((resource) => resource.trim())
    .filter((resource) => resource !== '');
  if (resources.length === 0) throw new UsageError('--resources needs at least one resource, e.g. secrets');
  const kmsFlags = flags.kmsName !== undefined || flags.kmsEndpoint !== undefined;
  if (provider === 'kms') {
    if (flags.keyName !== undefined)
      throw new UsageError('--key-name is for aescbc, aesgcm and secretbox: kms has no key in the file');
    if (flags.kmsName === undefined || flags.kmsEndpoint === undefined) {
      throw new UsageError(
        '--provider kms needs --kms-name and --kms-endpoint (unix:///path/to/plugin.sock)',
      );
    }
  } else if (kmsFlags) {
    throw new UsageError(`--kms-name and --kms-endpoint are for --provider kms, not ${provider}`);
  }
  if (flags.force && !flags.output) throw new UsageError('--force needs -o FILE');

  const key = provider === 'kms' ? undefined : randomBytes(GENERATED_KEY_BYTES);
  let generated: GeneratedConfig;
  try {
    generated = generateEncryptionConfig({
      provider: provider as GeneratedProvider,
      resources,
      keyName: flags.keyName,
      key,
      kms:
        provider === 'kms'
          ? { name: flags.kmsName ?? '', endpoint: flags.kmsEndpoint ?? '', timeout: flags.kmsTimeout }
          : undefined,
      identityFallback: flags.identityFallback,
      now: new Date(),
    });
  } catch (error) {
    // Everything the configuration is made of comes from the flags: what it refuses is a usage error.
    throw asGenerateUsageError(error);
  } finally {
    key?.fill(0);
  }

  if (!flags.output || flags.output === '-') {
    await writeOutput(generated.text);
    return;
  }
  if (!flags.force && (await exists(flags.output))) {
    throw new CloakError(
      'ERR_EXISTS',
      `${flags.output} exists: it may hold the only copy of a key; use --force to overwrite it`,
    );
  }
  try {
    await writeFileAtomic(flags.output, generated.text, { mode: 0o600, forceMode: true });
  } catch (error) {
    throw new CloakError('ERR_WRITE', `cannot write ${flags.output}: ${describeFsError(error)}`);
  }
  const what =
    generated.keyName === undefined
      ? `kms provider "${flags.kmsName ?? ''}"`
      : `${provider} key "${generated.keyName}"`;
  process.stderr.write(
    `wrote ${flags.output} (${what}, for ${resources.join(', ')}); back it up securely, then give it to ` +
      `every kube-apiserver with --encryption-provider-config\n`,
  );
}

/** The flag behind each field of a generated configuration, for kube's field errors. */
const GENERATE_FLAGS: readonly [RegExp, string][] = [
  [/^resources\[0\]\.resources(?:\[\d+\])?: /, '--resources'],
  [/^resources\[0\]\.providers\[0\]\.kms\.endpoint: /, '--kms-endpoint'],
  [/^resources\[0\]\.providers\[0\]\.kms\.name: /, '--kms-name'],
  [/^resources\[0\]\.providers\[0\]\.kms\.timeout: /, '--kms-timeout'],
  [/^resources\[0\]\.providers\[0\]\.\w+\.keys\[0\]\.name: /, '--key-name'],
];

function asGenerateUsageError(error: unknown): unknown {
  if (error instanceof EncryptionToolError) return new UsageError(error.message);
  if (error instanceof EncryptionConfigError) {
    const problems = error.problems.map((problem) => {
      const flag = GENERATE_FLAGS.find(([field]) => field.test(problem));
      return flag ? problem.replace(flag[0], `${flag[1]}: `) : problem;
    });
    return new UsageError(problems.join('; '));
  }
  return error;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

// ---------- config rotate ----------

export async function runConfigRotate(file: string, flags: RotateFlags): Promise<void> {
  const resources = parseResourceList(flags.resources);
  const text = (await readInputFile(file)).toString('utf8');
  const result = rotateEncryptionConfig(text, {
    resources,
    now: new Date(),
    newKey: () => randomBytes(GENERATED_KEY_BYTES),
    file,
  });
  if (result.kind === 'keys') {
    // Through a symlink (a mounted file, a managed path) the file itself is replaced, not the link.
    const target = await realpath(file);
    const mode = (await stat(target)).mode & 0o777;
    try {
      await writeFileAtomic(target, result.text);
    } catch (error) {
      throw new CloakError('ERR_WRITE', `cannot write ${file}: ${describeFsError(error)}`);
    }
    if ((mode & 0o077) !== 0) {
      process.stderr.write(
        `warning: ${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); it holds keys: chmod 600 it\n`,
      );
    }
  }
  await writeOutput(`${[...result.done, '', 'Next:', ...result.next].join('\n')}\n`);
}

// ---------- etcd ----------

function etcdEndpoints(value: string | undefined, flag = '--etcd-endpoints'): string[] {
  const endpoints = (value ?? '')
    .split(',')
    .map((endpoint) => endpoint.trim())
    .filter(Boolean);
  if (endpoints.length === 0)
    throw new UsageError(`${flag} needs at least one URL, e.g. http://127.0.0.1:2379`);
  return endpoints;
}

async function openEtcd(flags: EtcdFlags): Promise<Storage> {
  const endpoints = etcdEndpoints(flags.etcdEndpoints);
  const { openEtcdStorage } = await import('../../apiserver/storage/etcd.ts');
  return openEtcdStorage({ endpoints });
}

function etcdPrefixOf(flags: EtcdFlags): string {
  const prefix = flags.etcdPrefix.replace(/\/+$/, '');
  if (!prefix.startsWith('/'))
    throw new UsageError(`--etcd-prefix must start with "/", not "${flags.etcdPrefix}"`);
  return prefix;
}

/** Every key under `prefix`, page by page at one revision (a consistent snapshot); read-only. */
async function* listAll(storage: Storage, prefix: string): AsyncGenerator<StoredValue> {
  let after: string | undefined;
  let revision: number | undefined;
  for (;;) {
    const page = await storage.list(prefix, { limit: PAGE_SIZE, after, revision });
    revision ??= page.revision;
    yield* page.items;
    if (!page.more || page.items.length === 0) return;
    after = page.items.at(-1)?.key;
  }
}

async function readConfig(path: string): Promise<EncryptionConfiguration> {
  const text = (await readInputFile(path)).toString('utf8');
  return parseEncryptionConfiguration(text, { source: path });
}

// ---------- KMS plugins ----------

interface KmsPlugins {
  service: (name: string) => KmsService;
  /** The reason values of this kms provider cannot be read (its plugin unreachable), once asked. */
  problem(name: string): Promise<string | undefined>;
  client(name: string): KmsClient;
  close(): void;
}

/** Clients for the configuration's KMS plugins, dialled on first use (connectKms, as kube-apiserver dials). */
async function kmsPlugins(config: EncryptionConfiguration): Promise<KmsPlugins> {
  const providers = new Map<string, KmsProviderConfig>();
  for (const entry of config.resources) {
    for (const provider of entry.providers)
      if (provider.type === 'kms') providers.set(provider.name, provider);
  }
  const clients = new Map<string, KmsClient>();
  const problems = new Map<string, Promise<string | undefined>>();
  const connect = providers.size > 0 ? (await import('../../kms/grpc.ts')).connectKms : undefined;
  const client = (name: string): KmsClient => {
    let found = clients.get(name);
    if (found === undefined) {
      const provider = providers.get(name);
      if (provider === undefined || connect === undefined)
        throw new CloakError('ERR_KMS', `no kms provider named ${name}`);
      found = connect(provider.endpoint, { timeoutMs: provider.timeoutMs });
      clients.set(name, found);
    }
    return found;
  };
  return {
    service: client,
    client,
    problem: (name) => {
      let problem = problems.get(name);
      if (problem === undefined) {
        problem = providers.has(name)
          ? client(name)
              .status()
              .then(
                () => undefined,
                (error: unknown) =>
                  `the KMS plugin of kms provider ${JSON.stringify(name)} cannot be reached: ${errorMessage(error)}`,
              )
          : Promise.resolve(undefined);
        problems.set(name, problem);
      }
      return problem;
    },
    close: () => {
      for (const each of clients.values()) each.close();
    },
  };
}

// ---------- verify ----------

export async function runVerify(flags: VerifyFlags): Promise<void> {
  const format = flags.output.toLowerCase();
  if (format !== 'text' && format !== 'json')
    throw new UsageError(`-o must be text or json, not "${flags.output}"`);
  const resources = parseResourceList(flags.resources);
  const etcdPrefix = etcdPrefixOf(flags);
  etcdEndpoints(flags.etcdEndpoints);
  const config = flags.config === undefined ? undefined : await readConfig(flags.config);
  const plugins = config && (await kmsPlugins(config));
  try {
    const expectations = config && plugins && (await expectationsFor(config, resources, plugins));
    const transformers =
      config &&
      // Only local (aescbc, aesgcm, secretbox) values are opened, to check the key; KMS plugins are not called.
      encryptionTransformers(config, () => NO_KMS);
    const storage = await openEtcd(flags);
    const objects: ObjectReport[] = [];
    try {
      for (const resource of resources) {
        const expectation = expectations?.get(resource.name);
        for await (const stored of listAll(storage, resourceKeyPrefix(resource, etcdPrefix))) {
          const report = classifyStoredValue(
            stored.key,
            stored.value,
            resource.name,
            expectation,
            etcdPrefix,
          );
          if (
            transformers &&
            (report.state === 'ok' || report.state === 'stale') &&
            isLocal(report.protection)
          ) {
            const problem = await openProblem(transformers, resource, stored);
            if (problem !== undefined) markUnreadable(report, problem);
          }
          objects.push(report);
        }
      }
    } finally {
      await storage.close();
    }
    const targets =
      expectations && new Map([...expectations].map(([name, expectation]) => [name, expectation.target]));
    const report = buildVerifyReport(
      objects,
      resources.map((resource) => resource.name),
      targets,
    );
    await writeOutput(
      format === 'json' ? `${toGoJson(verifyReportJson(report))}\n` : formatVerifyText(report),
    );
    if (verifyFailed(report)) process.exitCode = 1;
  } finally {
    plugins?.close();
  }
}

const NO_KMS: KmsService = {
  status: () => Promise.reject(new CloakError('ERR_KMS', 'verify does not call KMS plugins to read values')),
  encrypt: () => Promise.reject(new CloakError('ERR_KMS', 'verify never encrypts')),
  decrypt: () => Promise.reject(new CloakError('ERR_KMS', 'verify does not call KMS plugins to read values')),
};

function isLocal(description: StoredValueDescription): boolean {
  return (
    description.provider === 'aescbc' ||
    description.provider === 'aesgcm' ||
    description.provider === 'secretbox'
  );
}

async function openProblem(
  transformers: EncryptionTransformers,
  resource: ToolResource,
  stored: StoredValue,
): Promise<string | undefined> {
  try {
    await transformers(resource).fromStorage(stored.value, stored.key);
    return undefined;
  } catch (error) {
    return error instanceof CloakError ? `cannot be opened: ${oneLine(error.message)}` : 'cannot be opened';
  }
}

function oneLine(text: string): string {
  const line = (text.split('\n', 1)[0] ?? '').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Per resource: the current write provider and key (asking a KMS v2 plugin for its key ID), and the readers. */
async function expectationsFor(
  config: EncryptionConfiguration,
  resources: readonly ToolResource[],
  plugins: KmsPlugins,
): Promise<Map<string, ResourceExpectation>> {
  const expectations = new Map<string, ResourceExpectation>();
  const keyIds = new Map<string, Promise<string | undefined>>();
  for (const resource of resources) {
    const providers = resourceProviders(config, resource);
    const target = describeProvider(providers[0] ?? { type: 'identity' });
    if (target.provider === 'kms' && target.kmsApiVersion === 'v2' && target.keyName !== undefined) {
      const name = target.keyName;
      let keyId = keyIds.get(name);
      if (keyId === undefined) {
        keyId = plugins
          .client(name)
          .status()
          .then(
            (status) => status.keyId,
            (error: unknown) => {
              process.stderr.write(
                `warning: cannot ask the KMS plugin of kms provider ${JSON.stringify(name)} for its current key ID ` +
                  `(${errorMessage(error)}): objects are compared by provider only\n`,
              );
              return undefined;
            },
          );
        keyIds.set(name, keyId);
      }
      const current = await keyId;
      if (current !== undefined) target.kmsKeyId = current;
    }
    expectations.set(resource.name, { target, providers });
  }
  return expectations;
}

// ---------- decrypt ----------

export async function runDecrypt(keys: readonly string[], flags: DecryptFlags): Promise<void> {
  const format = flags.output.toLowerCase();
  if (format !== 'yaml' && format !== 'json')
    throw new UsageError(`-o must be yaml or json, not "${flags.output}"`);
  if (flags.config === undefined) {
    throw new UsageError('--config is required: the EncryptionConfiguration that wrote the values');
  }
  if ((flags.etcdEndpoints === undefined) === (flags.fromDump === undefined)) {
    throw new UsageError('give one source: --etcd-endpoints URLS or --from-dump FILE');
  }
  if (keys.length > 0 && flags.prefix !== undefined) throw new UsageError('give KEYS or --prefix, not both');
  const etcdPrefix = etcdPrefixOf(flags);
  const wanted = keys.map((key) => absoluteKey(key, etcdPrefix));
  const prefix = flags.prefix ?? `${etcdPrefix}/secrets/`;
  if (!prefix.startsWith('/')) throw new UsageError(`--prefix must start with "/", not "${prefix}"`);

  const config = await readConfig(flags.config);
  const { entries, missing } =
    flags.fromDump !== undefined
      ? selectEntries(
          parseEtcdctlDump((await readInputFile(flags.fromDump)).toString('utf8'), flags.fromDump),
          {
            keys: wanted,
            prefix,
          },
        )
      : await readFromEtcd(flags, wanted, prefix);

  const plugins = await kmsPlugins(config);
  let result;
  try {
    // Each KMS plugin the values need is asked once whether it answers, so that an unreachable plugin is one
    // clear message per value instead of a timeout each.
    const kmsProblems = new Map<string, string | undefined>();
    for (const entry of entries) {
      const description = describeStoredValue(entry.value);
      if (
        description.provider === 'kms' &&
        description.keyName !== undefined &&
        !kmsProblems.has(description.keyName)
      ) {
        kmsProblems.set(description.keyName, await plugins.problem(description.keyName));
      }
    }
    const transformers = encryptionTransformers(config, plugins.service);
    result = await decryptEntries(entries, transformers, {
      etcdPrefix,
      skip: (entry) => {
        const description = describeStoredValue(entry.value);
        return description.provider === 'kms' && description.keyName !== undefined
          ? kmsProblems.get(description.keyName)
          : undefined;
      },
    });
  } finally {
    plugins.close();
  }
  const failures = [
    ...missing.map((key) => `${key}: not found`),
    ...result.failures.map((failure) =>
      failure.message.includes(failure.key) ? failure.message : `${failure.key}: ${failure.message}`,
    ),
  ];
  if (failures.length > 0 && !flags.skipUnreadable) {
    throw new ErrorList(failures.map((message) => new CloakError('ERR_DECRYPT', message)));
  }
  for (const failure of failures) process.stderr.write(`warning: ${failure} (skipped)\n`);
  const view = kubectlView(result.objects, keys.length === 1, flags.showManagedFields === true);
  // kubectl's JSON printer indents by four spaces.
  const text = format === 'json' ? `${toGoJson(view, 4)}\n` : toKubeYaml(view);
  if (flags.outputFile !== undefined && flags.outputFile !== '-') {
    try {
      await writeFileAtomic(flags.outputFile, text, { mode: 0o600, forceMode: true });
    } catch (error) {
      throw new CloakError('ERR_WRITE', `cannot write ${flags.outputFile}: ${describeFsError(error)}`);
    }
  } else {
    await writeOutput(text);
  }
}

async function readFromEtcd(
  flags: DecryptFlags,
  keys: readonly string[],
  prefix: string,
): Promise<{ entries: StoredEntry[]; missing: string[] }> {
  const storage = await openEtcd(flags);
  try {
    if (keys.length > 0) {
      const entries: StoredEntry[] = [];
      const missing: string[] = [];
      for (const key of keys) {
        const stored = await storage.get(key);
        if (stored) entries.push({ key: stored.key, value: stored.value, modRevision: stored.modRevision });
        else missing.push(key);
      }
      return { entries, missing };
    }
    const entries: StoredEntry[] = [];
    for await (const stored of listAll(storage, prefix)) {
      entries.push({ key: stored.key, value: stored.value, modRevision: stored.modRevision });
    }
    return { entries, missing: [] };
  } finally {
    await storage.close();
  }
}
