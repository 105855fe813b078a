/** What `cloak unseal` does; many values are opened on worker threads. */
import { CloakError, ErrorList, UsageError } from '../../common/errors.ts';
import { canonicalSecret } from '../../kube/objects.ts';
import { expandLists, parseManifests } from '../../manifests/decode.ts';
import { formatObjects, type OutputFormat } from '../../manifests/encode.ts';
import { Keyring } from '../../sealing/keyring.ts';
import { parsePrivateKeyFile, type SealingKey } from '../../sealing/keys.ts';
import {
  describeSealedSecret,
  readSealedSecret,
  SEALING_KEY_ANNOTATION,
} from '../../sealing/sealed-secret.ts';
import { UnsealPool } from '../../sealing/unseal-pool.ts';
import { loadSealedSecretsTemplateRenderer } from '../../sealing/template-loader.ts';
import { inThreadOpener, unsealAll, type UnsealInput, type ValueOpener } from '../../sealing/unseal.ts';
import { readInput, readInputFile, writeOutput, type InputText } from '../io.ts';
import { documentName, parseOutputFormat } from '../output.ts';
import type { UnsealFlags } from './unseal.ts';

/** Below this many RSA operations (about 40 ms for RSA-4096), starting worker threads costs more than it saves. */
const WORKER_THRESHOLD = 8;

export async function runUnseal(flags: UnsealFlags): Promise<void> {
  let format = parseOutputFormat(flags.format);
  if (flags.sealedSecretFile && /\.ya?ml$/.test(flags.sealedSecretFile)) format = 'yaml';
  const input = await readInput(flags.secretFile, 'expecting SealedSecrets in json/yaml on stdin');
  const workers = flags.workers === undefined ? undefined : parseWorkers(flags.workers);
  await writeOutput(
    await unsealToText(input, flags.key ?? [], format, workers),
    flags.sealedSecretFile,
    0o600,
  );
}

function parseWorkers(value: string): number {
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 0)
    throw new UsageError(`--workers must be a whole number, not "${value}"`);
  return workers;
}

export async function readKeyFiles(paths: readonly string[]): Promise<SealingKey[]> {
  if (paths.length === 0)
    throw new UsageError('at least one private key file is needed (--key, or --recovery-private-key)');
  const keys: SealingKey[] = [];
  for (const path of paths) keys.push(...parsePrivateKeyFile(await readInputFile(path), path));
  return keys;
}

/** Unseals every SealedSecret in `input`; the text of all Secrets, or one error listing every failure. */
export async function unsealToText(
  input: InputText,
  keyFiles: readonly string[],
  format: OutputFormat,
  workers?: number,
): Promise<string> {
  const keyring = new Keyring(await readKeyFiles(keyFiles));
  const objects = expandLists(parseManifests(input.text, input.source), input.source);
  if (objects.length === 0)
    throw new CloakError('ERR_NO_INPUT', `${input.source}: the input holds no SealedSecret`);
  const inputs: UnsealInput[] = objects.map((object, index) => {
    const position = documentName(input.source, index, objects.length);
    const sealed = readSealedSecret(object, position);
    return { sealed, where: describeSealedSecret(sealed, position) };
  });
  const rsaOperations = inputs.reduce((count, input) => count + worstCaseOperations(input, keyring), 0);
  const opener: ValueOpener & { close?: () => Promise<void> } =
    rsaOperations >= WORKER_THRESHOLD && workers !== 0
      ? new UnsealPool(keyring.keys, workers)
      : inThreadOpener(keyring);
  let outcomes;
  try {
    outcomes = await unsealAll(inputs, opener, { loadTemplateRenderer: loadSealedSecretsTemplateRenderer });
  } finally {
    await opener.close?.();
  }
  const failures = outcomes.flatMap((outcome) => ('error' in outcome ? [outcome.error] : []));
  if (failures.length === 1) throw failures[0] as CloakError;
  if (failures.length > 1) throw new ErrorList(failures);
  return formatObjects(
    outcomes.flatMap((outcome) => ('secret' in outcome ? [canonicalSecret(outcome.secret)] : [])),
    format,
  );
}

/** RSA operations an object may cost: one per value with a hint we hold, else one per key per value. */
function worstCaseOperations({ sealed }: UnsealInput, keyring: Keyring): number {
  const values = Object.keys(sealed.spec.encryptedData).length + (sealed.spec.data === undefined ? 0 : 1);
  const hint = sealed.metadata.annotations?.[SEALING_KEY_ANNOTATION];
  return values * (hint && keyring.has(hint) ? 1 : keyring.size);
}
