/**
 * `cloak seal` of a 10-key Secret with `--cert` from a file, as a whole process: its median wall time as a
 * ratio to `node -e 0`, the cost of starting Node itself on this machine, measured in the same run.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { generateSealingKey } from '../src/sealing/keygen.ts';
import { progress, type Figure } from './report.ts';
import { median } from './stats.ts';

const BENCHMARK = 'seal CLI';
const CLOAK_BIN = fileURLToPath(new URL('../bin/cloak', import.meta.url));
const DATA_KEYS = 10;
/** bin/cloak enables Node's compile cache; the first runs fill it, as a user's first runs would. */
const WARM_UP_RUNS = 2;
const RUNS = 15;

interface Run {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function benchSealCli(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cloak-bench-'));
  try {
    progress('seal CLI: generating an RSA-4096 certificate');
    const { cert, secret } = await writeInputs(dir);
    // A clean environment, as in the CLI tests: no kubeconfig, no SEALED_SECRETS_* or NODE_OPTIONS from the
    // caller. TMPDIR is kept because Node's compile cache lives under it.
    const env = { PATH: process.env['PATH'], HOME: dir, TMPDIR: tmpdir() };
    const seal = (): Promise<Run> =>
      timedRun([CLOAK_BIN, 'seal', '--cert', cert, '-f', secret, '-o', 'yaml'], env);
    const bareNode = (): Promise<Run> => timedRun(['-e', '0'], env);

    for (let run = 0; run < WARM_UP_RUNS; run++) checkSealOutput(await seal());
    progress(`seal CLI: ${RUNS} runs each of cloak seal and node -e 0, interleaved`);
    const sealMs: number[] = [];
    const nodeMs: number[] = [];
    // Interleaved, so that a slow spell of the machine hits both series alike.
    for (let run = 0; run < RUNS; run++) {
      sealMs.push(checkSealOutput(await seal()).ms);
      nodeMs.push(checkExit(await bareNode(), 'node -e 0').ms);
    }
    const sealMedian = median(sealMs);
    const nodeMedian = median(nodeMs);
    return [
      { benchmark: BENCHMARK, name: 'node -e 0, median', value: nodeMedian, unit: 'ms' },
      { benchmark: BENCHMARK, name: `cloak seal (${DATA_KEYS} keys), median`, value: sealMedian, unit: 'ms' },
      {
        benchmark: BENCHMARK,
        name: 'cloak seal ÷ node -e 0',
        value: sealMedian / nodeMedian,
        unit: 'ratio',
        target: { comparison: '<=', limit: 4 },
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeInputs(dir: string): Promise<{ cert: string; secret: string }> {
  const key = await generateSealingKey({ bits: 4096, commonName: '', validityMs: 3600e3, now: new Date() });
  const cert = join(dir, 'cert.pem');
  const secret = join(dir, 'secret.yaml');
  await writeFile(cert, key.certificatePem);
  await writeFile(secret, secretYaml());
  return { cert, secret };
}

function secretYaml(): string {
  const data = Array.from(
    { length: DATA_KEYS },
    (_, item) => `  key-${item}: ${randomBytes(32).toString('base64')}\n`,
  ).join('');
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: bench\n  namespace: bench\ndata:\n${data}`;
}

/** Runs `node args`, timed from spawn to exit (process start-up included, as the user waits for it). */
function timedRun(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - start;
      resolve({
        ms,
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

function checkExit(run: Run, what: string): Run {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code}: ${run.stderr.trim()}`);
  return run;
}

/** A fast failure is not a result: the output must be a SealedSecret holding every key of the input. */
function checkSealOutput(run: Run): Run {
  checkExit(run, 'cloak seal');
  const sealed = parse(run.stdout) as { kind?: unknown; spec?: { encryptedData?: Record<string, unknown> } };
  const items = Object.keys(sealed.spec?.encryptedData ?? {}).length;
  if (sealed.kind !== 'SealedSecret' || items !== DATA_KEYS) {
    throw new Error(`cloak seal wrote a ${String(sealed.kind)} with ${items} encryptedData items`);
  }
  return run;
}
