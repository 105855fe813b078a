/**
 * What `cloak reseal` does (see reseal.ts for the flags): walks the paths for manifest files that hold
 * SealedSecrets, has each SealedSecret re-sealed (by the controller, or offline with private keys), writes the
 * new values into the file's own text (sealing/sealed-secret-yaml.ts), checks the result reads back as
 * intended, and replaces the file atomically. One file's failure leaves that file untouched and the others go on.
 * Progress and messages go to stderr; stdout lists the files changed (or, with --dry-run, that would change).
 */
import { createPublicKey } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import { CloakError, UsageError } from '../../common/errors.ts';
import { toGoJson } from '../../manifests/encode.ts';
import { readCertificateSource } from '../../sealing/cert-source.ts';
import type { ControllerRef } from '../../sealing/controller-client.ts';
import { Keyring } from '../../sealing/keyring.ts';
import { parseSealingCertificate, publicKeyFingerprint, readCertificate } from '../../sealing/keys.ts';
import { resealWithKeys, type ResealedValues, type ResealTarget } from '../../sealing/reseal.ts';
import {
  describeSealedSecret,
  readSealedSecret,
  SEALING_KEY_ANNOTATION,
  type SealedSecret,
} from '../../sealing/sealed-secret.ts';
import {
  findSealedSecrets,
  replaceSealedValues,
  type FoundSealedSecret,
  type SealedValuesUpdate,
} from '../../sealing/sealed-secret-yaml.ts';
import { ClusterAccess } from '../cluster-access.ts';
import { progressReporter, type Progress } from '../progress.ts';
import type { ResealFlags } from './reseal.ts';

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
/** Attempts at one /v1/rotate the controller answers with 429 before the SealedSecret counts as failed. */
const RATE_LIMIT_ATTEMPTS = 30;

/** Re-seals one SealedSecret: the changes, or undefined when it is already sealed with the newest key. */
interface Resealer {
  reseal(sealed: SealedSecret, where: string): Promise<ResealedValues | undefined>;
}

interface Totals {
  files: number;
  changed: number;
  sealedSecrets: number;
  current: number;
  failed: number;
  unreadable: number;
}

export async function runReseal(paths: readonly string[], flags: ResealFlags): Promise<void> {
  const offline = (flags.recoveryPrivateKey?.length ?? 0) > 0;
  if (flags.cert !== undefined && !offline)
    throw new UsageError(
      '--cert needs --recovery-private-key: re-sealing decrypts first, which takes the private keys (or the controller, without both)',
    );
  const candidates = await candidateFiles(paths.length > 0 ? paths : ['.']);
  const totals: Totals = { files: 0, changed: 0, sealedSecrets: 0, current: 0, failed: 0, unreadable: 0 };
  if (candidates.length === 0) {
    // Nothing to do: no need to reach the controller or read keys.
    process.stderr.write(`${summary(totals, flags.dryRun ?? false)}\n`);
    return;
  }
  const resealer = offline ? await offlineResealer(flags) : await controllerResealer(flags);
  const progress = progressReporter(flags.dryRun ? 'reseal (dry run)' : 'reseal', candidates.length);
  try {
    for (const [index, { path, text }] of candidates.entries()) {
      const outcome = await resealFile(path, text, resealer, flags.dryRun ?? false, progress, totals);
      progress.update(index + 1, `${path}: ${outcome}`);
      await yieldToEventLoop();
    }
  } finally {
    progress.finish();
  }
  process.stderr.write(`${summary(totals, flags.dryRun ?? false)}\n`);
  if (totals.failed > 0) process.exitCode = 1;
}

function summary(totals: Totals, dryRun: boolean): string {
  const parts = [
    `${totals.changed} file${totals.changed === 1 ? '' : 's'} ${dryRun ? 'would be re-sealed' : 're-sealed'} (${totals.sealedSecrets} SealedSecret${totals.sealedSecrets === 1 ? '' : 's'})`,
    `${totals.current} already current`,
    `${totals.failed} failed`,
  ];
  if (totals.unreadable > 0) parts.push(`${totals.unreadable} skipped (not valid YAML or JSON)`);
  return `reseal: ${parts.join(', ')}; ${totals.files} file${totals.files === 1 ? '' : 's'} with SealedSecrets`;
}

/** One file: its outcome for the progress line. Failures are reported and counted here; nothing is thrown. */
async function resealFile(
  path: string,
  text: string,
  resealer: Resealer,
  dryRun: boolean,
  progress: Progress,
  totals: Totals,
): Promise<string> {
  let found: FoundSealedSecret[];
  try {
    found = findSealedSecrets(text, path);
  } catch (error) {
    if (!(error instanceof CloakError)) throw error;
    // Helm templates and other generated YAML mention SealedSecret too; they are not ours to rewrite.
    if (error.code === 'ERR_INPUT_PARSE') {
      totals.unreadable++;
      progress.message(`warning: skipped ${error.message}`);
      return 'skipped';
    }
    totals.files++;
    totals.failed++;
    progress.message(`error: ${error.message}`);
    return 'failed';
  }
  if (found.length === 0) return 'no SealedSecret';
  totals.files++;

  const updates: SealedValuesUpdate[] = [];
  const names: string[] = [];
  const errors: string[] = [];
  for (const { document, sealed, where } of found) {
    try {
      const resealed = await resealer.reseal(sealed, where);
      if (!resealed) continue;
      const update: SealedValuesUpdate = { document, encryptedData: resealed.encryptedData };
      if (resealed.data !== undefined) update.data = resealed.data;
      if (resealed.hint !== undefined) update.hint = resealed.hint;
      updates.push(update);
      names.push(describeSealedSecret(sealed, where));
    } catch (error) {
      if (!(error instanceof CloakError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length > 0) {
    totals.failed++;
    for (const message of errors) progress.message(`error: ${message}`);
    return 'failed, left as it was';
  }
  if (updates.length === 0) {
    totals.current++;
    return 'already current';
  }
  try {
    const output = dryRun ? text : checkedOutput(path, text, found, updates);
    if (!dryRun) await writeFileAtomic(path, output);
  } catch (error) {
    totals.failed++;
    const message = error instanceof CloakError ? error.message : `cannot write ${path}: ${String(error)}`;
    progress.message(`error: ${message}`);
    return 'failed, left as it was';
  }
  totals.changed++;
  totals.sealedSecrets += updates.length;
  progress.above(() =>
    process.stdout.write(`${dryRun ? 'would re-seal' : 're-sealed'} ${path}: ${names.join(', ')}\n`),
  );
  return dryRun ? `would re-seal ${updates.length}` : `re-sealed ${updates.length}`;
}

/**
 * The file's new text, read back before it is written: the same SealedSecrets in the same documents, each with
 * exactly the new values where they changed and its old ones elsewhere. Anything else is a bug we refuse to write.
 */
function checkedOutput(
  path: string,
  text: string,
  before: readonly FoundSealedSecret[],
  updates: readonly SealedValuesUpdate[],
): string {
  const output = replaceSealedValues(text, path, updates);
  const after = findSealedSecrets(output, path);
  const expected = before.map(({ document, sealed }) => {
    const update = updates.find((candidate) => candidate.document === document);
    const spec = structuredClone(sealed.spec);
    const metadata = structuredClone(sealed.metadata);
    if (update) {
      Object.assign(spec.encryptedData, update.encryptedData);
      if (update.data !== undefined) spec.data = update.data;
      const annotations = metadata.annotations ?? {};
      const hint = annotations[SEALING_KEY_ANNOTATION];
      // A hint that could not be added in place (flow-style metadata) is left out; one that was there is replaced.
      const added = after.find((candidate) => candidate.document === document)?.sealed.metadata.annotations?.[
        SEALING_KEY_ANNOTATION
      ];
      if (update.hint !== undefined && (hint !== undefined || added !== undefined)) {
        metadata.annotations = { ...annotations, [SEALING_KEY_ANNOTATION]: update.hint };
      }
    }
    return { document, spec, metadata };
  });
  const actual = after.map(({ document, sealed }) => ({
    document,
    spec: sealed.spec,
    metadata: sealed.metadata,
  }));
  if (!isDeepStrictEqual(actual, expected))
    throw new CloakError(
      'ERR_RESEAL',
      `${path}: the file could not be edited in place as intended; left as it was`,
    );
  return output;
}

// ---------------------------------------------------------------------------------------------------------
// Finding files

interface Candidate {
  path: string;
  text: string;
}

/** The manifest files under `roots` that mention SealedSecret, in a stable order, read once. */
async function candidateFiles(roots: readonly string[]): Promise<Candidate[]> {
  const files: string[] = [];
  for (const root of roots) {
    let info;
    try {
      info = await lstat(root);
    } catch {
      throw new CloakError('ERR_NOT_FOUND', `${root}: no such file or directory`);
    }
    // A file named on the command line is taken whatever its name; a link is followed to the file it names,
    // which is the one written.
    if (info.isSymbolicLink() || info.isFile())
      files.push(info.isSymbolicLink() ? await realpath(root) : root);
    else if (info.isDirectory()) await walk(root, files);
  }
  const candidates: Candidate[] = [];
  for (const path of [...new Set(files)]) {
    const text = await readFile(path, 'utf8');
    if (text.includes('SealedSecret')) candidates.push({ path, text });
  }
  return candidates;
}

/** Manifest files below `dir`, without following links (a link could lead outside, or in circles). */
async function walk(dir: string, into: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new CloakError(
      'ERR_READ',
      `cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) await walk(path, into);
    } else if (entry.isFile() && MANIFEST_FILE.test(entry.name)) {
      into.push(path);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The two ways to re-seal

async function offlineResealer(flags: ResealFlags): Promise<Resealer> {
  const { readKeyFiles } = await import('./unseal-run.ts');
  const keyring = new Keyring(await readKeyFiles(flags.recoveryPrivateKey ?? []));
  let target: ResealTarget;
  if (flags.cert !== undefined) {
    const certificate = parseSealingCertificate(
      await readCertificateSource(flags.cert),
      flags.cert,
      new Date(),
    );
    target = { publicKey: certificate.publicKey, fingerprint: certificate.fingerprint };
  } else {
    const newest = keyring.newest;
    if (!newest) throw new UsageError('--recovery-private-key: no private key found');
    if (!newest.createdAt && keyring.size > 1)
      process.stderr.write(
        `warning: the keys carry no dates (no certificate, no Secret); sealing for the first given, ${newest.source}\n`,
      );
    target = { publicKey: createPublicKey(newest.privateKey), fingerprint: newest.fingerprint };
  }
  return {
    reseal: (sealed, where) => Promise.resolve(resealWithKeys(sealed, where, keyring, target)),
  };
}

async function controllerResealer(flags: ResealFlags): Promise<Resealer> {
  const cluster = new ClusterAccess(flags);
  const controller: ControllerRef = {
    namespace: flags.controllerNamespace,
    name: flags.controllerName,
    timeoutMs: cluster.timeoutMs,
  };
  const config = await cluster.config();
  const client = await import('../../sealing/controller-client.ts');
  const certificate = readCertificate(
    await client.fetchCertificate(config, controller),
    'controller certificate',
  );
  const newest = publicKeyFingerprint(certificate.publicKey);
  return {
    reseal: async (sealed, where) => {
      const itemCount = sealed.spec.data !== undefined ? 1 : Object.keys(sealed.spec.encryptedData).length;
      // Which key sealed a value cannot be seen without decrypting; the hint says it, where there is one.
      if (sealed.metadata.annotations?.[SEALING_KEY_ANNOTATION] === newest) return undefined;
      if (flags.dryRun) return { encryptedData: {}, resealed: itemCount };
      const body = toGoJson(sealed);
      let answer: Record<string, unknown> | undefined;
      for (let attempt = 1; !answer; attempt++) {
        try {
          answer = await client.rotateWithController(config, controller, body);
        } catch (error) {
          if (!(error instanceof client.ControllerRateLimitedError) || attempt >= RATE_LIMIT_ATTEMPTS) {
            if (error instanceof CloakError) throw new CloakError(error.code, `${where}: ${error.message}`);
            throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
        }
      }
      return fromControllerAnswer(sealed, where, answer, newest);
    },
  };
}

/** The controller's re-sealed object as changes to the file's: the same items, new values, its key's hint. */
function fromControllerAnswer(
  sealed: SealedSecret,
  where: string,
  answer: Record<string, unknown>,
  newest: string,
): ResealedValues {
  const rotated = readSealedSecret({ ...answer, apiVersion: sealed.apiVersion, kind: sealed.kind }, where);
  const before = Object.keys(sealed.spec.encryptedData).sort();
  const after = Object.keys(rotated.spec.encryptedData).sort();
  if (
    toGoJson(before) !== toGoJson(after) ||
    (sealed.spec.data === undefined) !== (rotated.spec.data === undefined)
  )
    throw new CloakError(
      'ERR_RESEAL',
      `${where}: the controller answered with other items than the file holds (it bakes spec.template.data into encryptedData); re-seal this one with --recovery-private-key`,
    );
  const result: ResealedValues = {
    encryptedData: rotated.spec.encryptedData,
    resealed: after.length + (rotated.spec.data === undefined ? 0 : 1),
    hint: rotated.metadata.annotations?.[SEALING_KEY_ANNOTATION] ?? newest,
  };
  if (rotated.spec.data !== undefined) result.data = rotated.spec.data;
  return result;
}
