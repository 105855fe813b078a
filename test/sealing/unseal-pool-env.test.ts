import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { tempDir } from '../helpers/keys.ts';

// In a child process: enabling the compile cache is for the whole process, and the test runner's is not ours.
const CHILD = `
import module from 'node:module';
import { Worker } from 'node:worker_threads';
import { workerEnv } from ${JSON.stringify(new URL('../../src/sealing/unseal-pool.ts', import.meta.url).href)};
module.enableCompileCache(process.argv[1]);
const worker = new Worker(
  "Promise.all([import('node:worker_threads'), import('node:module')]).then(([{ parentPort }, { default: module }]) => parentPort.postMessage(module.getCompileCacheDir() ?? 'none'));",
  { eval: true, env: workerEnv() },
);
worker.once('message', (dir) => { console.log(JSON.stringify({ main: module.getCompileCacheDir(), worker: dir })); worker.terminate(); });
`;

test('unseal workers use the compile cache the main thread enabled in code', async (t) => {
  const cache = await tempDir(t);
  const env = { ...process.env };
  delete env['NODE_COMPILE_CACHE'];
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, cache], {
    env,
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  const { main, worker } = JSON.parse(child.stdout) as { main: string; worker: string };
  assert.ok(main.startsWith(cache), main);
  assert.equal(worker, main);
});
