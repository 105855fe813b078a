/**
 * `cloak operator` restarts itself with its memory settings (src/cli/commands/operator-memory.ts): the decision
 * as a pure function, then the real command against `cloak dev cluster`, whose process (same pid, as the
 * Deployment and the benchmark see it) runs with the V8 flags and the malloc settings.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import {
  memoryRestart,
  OPERATOR_MALLOC_ENV,
  OPERATOR_NODE_FLAGS,
  type ProcessStart,
} from '../../src/cli/commands/operator-memory.ts';
import { startDevCluster } from '../helpers/dev-cluster.ts';
import { installCrd, startOperator } from '../helpers/operator.ts';

const START: ProcessStart = {
  execPath: '/usr/bin/node',
  execArgv: ['--enable-source-maps'],
  argv: ['/usr/bin/node', '/app/bin/cloak', 'operator', '--key-size', '2048'],
  env: { PATH: '/usr/bin' },
};

test('the operator restarts with its V8 flags and malloc settings, keeping what the user set', () => {
  const restart = memoryRestart(START);
  assert.ok(restart);
  assert.equal(restart.file, '/usr/bin/node');
  assert.deepEqual(restart.args, [
    '/usr/bin/node',
    '--enable-source-maps',
    ...OPERATOR_NODE_FLAGS,
    '/app/bin/cloak',
    'operator',
    '--key-size',
    '2048',
  ]);
  assert.deepEqual(restart.env, { PATH: '/usr/bin', ...OPERATOR_MALLOC_ENV });
  // Worker threads share the main thread's compile cache, when it has one.
  const cached = memoryRestart({ ...START, compileCache: '/tmp/node-compile-cache' });
  assert.equal(cached?.env['NODE_COMPILE_CACHE'], '/tmp/node-compile-cache');
  const chosen = { PATH: '/usr/bin', MALLOC_MMAP_THRESHOLD_: '65536' };
  assert.deepEqual(memoryRestart({ ...START, env: chosen })?.env, chosen, "the user's own value stays");

  // The restarted process has them: it does not restart again.
  const [, ...nodeArgs] = restart.args;
  const scriptAt = nodeArgs.indexOf('/app/bin/cloak');
  assert.equal(
    memoryRestart({
      execPath: restart.file,
      execArgv: nodeArgs.slice(0, scriptAt),
      argv: [restart.file, ...nodeArgs.slice(scriptAt)],
      env: restart.env,
    }),
    undefined,
  );
});

test('whoever chooses the young generation already is left alone', () => {
  for (const execArgv of [['--max-semi-space-size=16'], ['--max_semi_space_size', '16']])
    assert.equal(memoryRestart({ ...START, execArgv }), undefined, execArgv.join(' '));
  const env = { ...START.env, NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=8' };
  assert.equal(memoryRestart({ ...START, env }), undefined);
  assert.equal(memoryRestart({ ...START, argv: ['/usr/bin/node'] }), undefined, 'no script to run again');
});

test('cloak operator runs with the settings, in the process that was started', async (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc');
  const cluster = await startDevCluster(t);
  await installCrd(cluster);
  const operator = await startOperator(t, cluster);
  const pid = operator.child.pid ?? 0;
  const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  for (const flag of OPERATOR_NODE_FLAGS) assert.ok(commandLine.includes(flag), commandLine.join(' '));
  assert.ok(commandLine.indexOf(OPERATOR_NODE_FLAGS[0] ?? '') < commandLine.indexOf('operator'));
  const environment = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
  for (const [name, value] of Object.entries(OPERATOR_MALLOC_ENV))
    assert.ok(environment.includes(`${name}=${value}`), name);
  assert.ok(
    environment.some((entry) => entry.startsWith('NODE_COMPILE_CACHE=')),
    'worker threads find the compile cache',
  );
  await operator.stop();
});
