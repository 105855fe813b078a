/**
 * The real tools a SOPS user meets, driven from tests: `age-keygen` and `age` (which must open the age stanzas
 * Cloak writes), `gpg` in an isolated home (for PGP stanzas and for Cloak's gpg fallback), and `kubectl`.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { VECTORS } from './paths.ts';

/** The sops functional-test PGP key (no passphrase), from the shared vectors. */
export const SOPS_TEST_PGP_KEY = `${VECTORS}sops/getsops-sops/keys/sops_functional_tests_key.asc`;
export const SOPS_TEST_PGP_FP = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';

export interface ToolResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface ToolOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a program with arguments (no shell) and collects its output. */
export function runTool(
  command: string,
  args: readonly string[],
  options: ToolOptions = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? { PATH: process.env['PATH'] },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

async function mustRun(command: string, args: readonly string[], options: ToolOptions = {}): Promise<Buffer> {
  const result = await runTool(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

export interface AgeKeyPair {
  /** The key file age-keygen wrote (with its `# public key:` comment). */
  file: string;
  recipient: string;
  identity: string;
}

/** A fresh X25519 key pair made by the real `age-keygen`. */
export async function ageKeygen(dir: string, name: string): Promise<AgeKeyPair> {
  const file = join(dir, `${name}.agekey`);
  await mustRun('age-keygen', ['-o', file]);
  const text = await readFile(file, 'utf8');
  const recipient = /^# public key: (age1[0-9a-z]+)$/m.exec(text)?.[1];
  const identity = /^(AGE-SECRET-KEY-1[0-9A-Z]+)$/m.exec(text)?.[1];
  if (!recipient || !identity) throw new Error(`age-keygen wrote an unexpected key file: ${file}`);
  return { file, recipient, identity };
}

/** `age -d -i KEYFILE` on an (armored) age file given on stdin: the decrypted bytes. */
export function ageDecrypt(ageFile: string | Buffer, keyFile: string): Promise<Buffer> {
  return mustRun('age', ['-d', '-i', keyFile], { input: ageFile });
}

export interface IsolatedGnupg {
  home: string;
  /** PATH and GNUPGHOME (HOME points to a directory without a keyring). */
  env: NodeJS.ProcessEnv;
  /** `gpg --decrypt` of an armored message. */
  decrypt(armored: string): Promise<Buffer>;
}

/**
 * A private GNUPGHOME, with the sops functional-test key imported by the real `gpg` unless `withKey` is false;
 * its agent is stopped and the directory removed when the test ends.
 */
export async function isolatedGnupg(t: TestContext, { withKey = true } = {}): Promise<IsolatedGnupg> {
  const root = await mkdtemp(join(tmpdir(), 'cloak-gpg-'));
  const home = join(root, 'g');
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], GNUPGHOME: home, HOME: root };
  t.after(async () => {
    await runTool('gpgconf', ['--kill', 'all'], { env }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });
  await mkdir(home, { mode: 0o700 });
  if (withKey) await mustRun('gpg', ['--batch', '--quiet', '--import', SOPS_TEST_PGP_KEY], { env });
  return {
    home,
    env,
    decrypt: (armored) => mustRun('gpg', ['--batch', '--quiet', '--decrypt'], { env, input: armored }),
  };
}
