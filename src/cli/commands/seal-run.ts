/** What `cloak seal` does, mode by mode, once its flags are parsed (see seal.ts for the flags). */
import { CloakError, UsageError } from '../../common/errors.ts';
import { expandLists, parseManifests, type ManifestObject } from '../../manifests/decode.ts';
import { formatObject, formatObjects, toGoJson, type OutputFormat } from '../../manifests/encode.ts';
import { readCertificateSource } from '../../sealing/cert-source.ts';
import type { ControllerRef } from '../../sealing/controller-client.ts';
import { parseSealingCertificate, type SealingCertificate } from '../../sealing/keys.ts';
import { parseScope, scopeOf, type Scope } from '../../sealing/scope.ts';
import {
  canonicalSealedSecret,
  mergeSealedSecret,
  needsNamespace,
  prepareSecret,
  readSealedSecret,
  readSecret,
  sealRawValue,
  sealSecret,
  SEALING_KEY_ANNOTATION,
  type SealedSecret,
} from '../../sealing/sealed-secret.ts';
import { ClusterAccess } from '../cluster-access.ts';
import { readInput, readInputFile, readStdin, writeOutput } from '../io.ts';
import { documentName, parseOutputFormat } from '../output.ts';
import type { SealFlags } from './seal.ts';

const SECRET_TTY_HINT = 'expecting json/yaml k8s resource in stdin';
const NO_KUBECONFIG_NAMESPACE =
  'input secret has no namespace and cannot infer the namespace automatically when no kube config is available';

export interface SealContext {
  version: string;
  /** -o/--format came from the command line or the environment, not from the default. */
  formatGiven: boolean;
}

export async function runSeal(flags: SealFlags, context: SealContext): Promise<void> {
  if (flags.version) {
    await writeOutput(`cloak seal version: ${context.version}\n`);
    return;
  }
  if (flags.fromFile?.length && !flags.raw) throw new UsageError('--from-file requires --raw');
  const reEncrypt = Boolean(flags.reEncrypt || flags.rotate);
  let format = parseOutputFormat(flags.format);
  const scope = parseScope(flags.scope);
  // kubeseal re-encrypts in place when given only an input file.
  const outputFile = flags.sealedSecretFile ?? (reEncrypt ? flags.secretFile : undefined);
  if (outputFile && /\.ya?ml$/.test(outputFile)) format = 'yaml';
  const cluster = new ClusterAccess(flags);
  const controller: ControllerRef = {
    namespace: flags.controllerNamespace,
    name: flags.controllerName,
    timeoutMs: cluster.timeoutMs,
  };

  if (flags.recoveryUnseal) {
    const input = await readInput(flags.secretFile, SECRET_TTY_HINT);
    const { unsealToText } = await import('./unseal-run.ts');
    await writeOutput(await unsealToText(input, flags.recoveryPrivateKey ?? [], format), outputFile);
    return;
  }
  if (flags.recoveryPrivateKey?.length && process.stderr.isTTY) {
    process.stderr.write(
      'warning: ignoring --recovery-private-key because unseal command not chosen with --recovery-unseal\n',
    );
  }
  if (flags.validate) {
    await validate(flags, cluster, controller);
    return;
  }
  if (reEncrypt) {
    await writeOutput(await reEncryptInput(flags, cluster, controller, format), outputFile);
    return;
  }

  const certificateBytes = flags.cert
    ? await readCertificateSource(flags.cert, cluster.timeoutMs)
    : await fetchControllerCertificate(cluster, controller);
  if (flags.fetchCert) {
    await writeOutput(certificateBytes, outputFile);
    return;
  }
  const certificate = parseSealingCertificate(
    certificateBytes,
    flags.cert ?? 'controller certificate',
    new Date(),
  );
  if (flags.mergeInto !== undefined) {
    await mergeInto(
      { ...flags, mergeInto: flags.mergeInto },
      context.formatGiven,
      cluster,
      certificate,
      scope,
    );
    return;
  }
  if (flags.raw) {
    await writeOutput(await sealRaw(flags, cluster, certificate, scope), outputFile);
    return;
  }
  await writeOutput(formatObjects(await sealInput(flags, cluster, certificate, scope), format), outputFile);
}

/** Cluster code is loaded only when it is needed: sealing with --cert never talks to a cluster. */
async function fetchControllerCertificate(
  cluster: ClusterAccess,
  controller: ControllerRef,
): Promise<Buffer> {
  const { fetchCertificate } = await import('../../sealing/controller-client.ts');
  return fetchCertificate(await cluster.config(), controller);
}

async function readObjects(path: string | undefined): Promise<{ objects: ManifestObject[]; source: string }> {
  const input = await readInput(path, SECRET_TTY_HINT);
  const objects = expandLists(parseManifests(input.text, input.source), input.source);
  if (objects.length === 0)
    throw new CloakError('ERR_NO_INPUT', `${input.source}: the input holds no object`);
  return { objects, source: input.source };
}

async function sealInput(
  flags: SealFlags,
  cluster: ClusterAccess,
  certificate: SealingCertificate,
  scope: Scope,
  forced?: SealedSecret,
): Promise<SealedSecret[]> {
  const { objects, source } = await readObjects(flags.secretFile);
  const sealed: SealedSecret[] = [];
  for (const [index, object] of objects.entries()) {
    const where = documentName(source, index, objects.length);
    const secret = readSecret(object, where);
    const prepared = prepareSecret(
      secret,
      {
        name: forced?.metadata.name ?? flags.name,
        namespace: flags.namespace,
        forceNamespace: forced?.metadata.namespace,
        scope: forced ? mergeScope(scope, secret.metadata.annotations, forced) : scope,
        allowEmptyData: flags.allowEmptyData,
      },
      where,
    );
    if (needsNamespace(prepared))
      prepared.metadata.namespace = await cluster.contextNamespace(NO_KUBECONFIG_NAMESPACE);
    sealed.push(sealSecret(prepared, certificate, where));
  }
  return sealed;
}

/**
 * Items merged into an existing SealedSecret must open under its label. kubeseal seals them with the input's
 * own scope, which silently breaks a cluster-wide file merged from a plain Secret; we take the file's scope
 * unless --scope or the input's annotations choose one.
 */
function mergeScope(
  flagScope: Scope,
  inputAnnotations: Record<string, string> | undefined,
  target: SealedSecret,
): Scope {
  if (flagScope !== 'strict') return flagScope;
  const inputScope = scopeOf(inputAnnotations);
  return inputScope !== 'strict' ? inputScope : scopeOf(target.metadata.annotations);
}

async function mergeInto(
  flags: SealFlags & { mergeInto: string },
  formatGiven: boolean,
  cluster: ClusterAccess,
  certificate: SealingCertificate,
  scope: Scope,
): Promise<void> {
  const path = flags.mergeInto;
  const text = (await readInputFile(path)).toString('utf8');
  const documents = parseManifests(text, path);
  if (documents.length !== 1) {
    throw new CloakError(
      'ERR_INPUT_PARSE',
      `${path}: expected exactly one SealedSecret, found ${documents.length} objects`,
    );
  }
  let merged = readSealedSecret(documents[0] as ManifestObject, path);
  const updates = await sealInput(flags, cluster, certificate, scope, merged);
  for (const update of updates) merged = mergeSealedSecret(merged, update);

  // Without -o the file keeps its own format (kubeseal would rewrite a YAML file as JSON).
  const isJsonFile = text.trimStart().startsWith('{');
  const format: OutputFormat = formatGiven ? parseOutputFormat(flags.format) : isJsonFile ? 'json' : 'yaml';
  let output: string;
  if (format === 'yaml' && !isJsonFile) {
    output = text;
    const { mergeIntoYaml } = await import('../../sealing/sealed-secret-yaml.ts');
    for (const update of updates) output = mergeIntoYaml(output, update, path);
  } else {
    output = formatObject(canonicalSealedSecret(merged), format);
  }
  await writeOutput(output, path);
}

async function sealRaw(
  flags: SealFlags,
  cluster: ClusterAccess,
  certificate: SealingCertificate,
  scope: Scope,
): Promise<string> {
  let namespace = '';
  let name = flags.name ?? '';
  if (scope !== 'cluster-wide') {
    namespace =
      flags.namespace ??
      (await cluster.contextNamespace(`must provide the --namespace flag with --raw and --scope ${scope}`));
    if (!namespace) throw new UsageError(`must provide the --namespace flag with --raw and --scope ${scope}`);
    if (!name && scope === 'strict')
      throw new UsageError('must provide the --name flag with --raw and --scope strict');
  } else {
    name = '';
  }
  const fromFile = flags.fromFile ?? [];
  if (fromFile.length > 1)
    throw new UsageError('must provide only one --from-file when encrypting a single item with --raw');
  const value = fromFile[0]
    ? await readInputFile(fromFileValuePath(fromFile[0]))
    : await readStdin('expecting a secret to encrypt in stdin');
  return sealRawValue(value, { scope, namespace, name }, certificate);
}

/** kubectl's --from-file syntax: an optional item name before the first '=' (ignored by --raw). */
function fromFileValuePath(spec: string): string {
  const equals = spec.indexOf('=');
  return equals === -1 ? spec : spec.slice(equals + 1);
}

async function readSealedSecrets(
  path: string | undefined,
): Promise<{ sealed: SealedSecret; where: string }[]> {
  const { objects, source } = await readObjects(path);
  return objects.map((object, index) => {
    const where = documentName(source, index, objects.length);
    return { sealed: readSealedSecret(object, where), where };
  });
}

async function validate(flags: SealFlags, cluster: ClusterAccess, controller: ControllerRef): Promise<void> {
  const config = await cluster.config();
  const { verifyWithController } = await import('../../sealing/controller-client.ts');
  for (const { sealed, where } of await readSealedSecrets(flags.secretFile)) {
    await naming(where, () => verifyWithController(config, controller, toGoJson(sealed)));
  }
}

/** Controller answers about one object name that object when the input holds several. */
async function naming<T>(where: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CloakError && (error.code === 'ERR_VERIFY' || error.code === 'ERR_ROTATE')) {
      throw new CloakError(error.code, `${error.message}: ${where}`);
    }
    throw error;
  }
}

async function reEncryptInput(
  flags: SealFlags,
  cluster: ClusterAccess,
  controller: ControllerRef,
  format: OutputFormat,
): Promise<string> {
  const config = await cluster.config();
  const { rotateWithController } = await import('../../sealing/controller-client.ts');
  const results: SealedSecret[] = [];
  for (const { sealed, where } of await readSealedSecrets(flags.secretFile)) {
    const answer = await naming(where, () => rotateWithController(config, controller, toGoJson(sealed)));
    // The controller's answer has no apiVersion/kind; kubeseal adds them and clears server-set fields.
    const object = { ...answer, apiVersion: sealed.apiVersion, kind: sealed.kind };
    const rotated = readSealedSecret(object, where);
    rotated.metadata.creationTimestamp = null;
    delete rotated.metadata.deletionTimestamp;
    delete rotated.metadata.generation;
    // The values are now sealed with the controller's newest key. Cloak's controller names it in the hint; a
    // hint still naming the old key (copied along by another controller) would only cost an extra attempt.
    const hint = rotated.metadata.annotations?.[SEALING_KEY_ANNOTATION];
    if (hint !== undefined && hint === sealed.metadata.annotations?.[SEALING_KEY_ANNOTATION])
      delete rotated.metadata.annotations?.[SEALING_KEY_ANNOTATION];
    results.push(canonicalSealedSecret(rotated));
  }
  return formatObjects(results, format);
}
