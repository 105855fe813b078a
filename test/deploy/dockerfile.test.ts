/**
 * The operator image, checked without Docker (no daemon on our machines): the Dockerfile's instructions are read
 * and held to what the deployment relies on, and the sources it copies are checked to run from what it copies:
 * every runtime import of src/ is a production dependency (the image installs `npm ci --omit=dev`), and every
 * relative import stays inside src/ or is package.json (the image holds package.json, bin/ and src/ only).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { OPERATOR_MALLOC_ENV, OPERATOR_NODE_FLAGS } from '../../src/cli/commands/operator-memory.ts';
import { parseManifests } from '../../src/manifests/decode.ts';
import { MANIFESTS_FILE, REPOSITORY } from '../../tools/render-chart.ts';

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions: comments and blank lines dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The stages, each its instructions from its FROM on. */
function stages(all: Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Module specifiers a file loads at run time (type-only imports and exports are erased, so left out). */
function runtimeSpecifiers(text: string): string[] {
  const code = text
    .replace(/^\s*(import|export)\s+type\s[^;]*;/gms, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const pattern of [
    /\bfrom\s+'([^']+)'/g,
    /\bimport\(\s*'([^']+)'\s*\)/g,
    /\brequire\(\s*'([^']+)'\s*\)/g,
    /\bcreateRequire\([^)]*\)\(\s*'([^']+)'\s*\)/g,
  ]) {
    for (const match of code.matchAll(pattern)) if (match[1]) found.push(match[1]);
  }
  return found;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
}

const dockerfile = stages(instructions(readFileSync(join(REPOSITORY, 'Dockerfile'), 'utf8')));
const finalStage = dockerfile.at(-1) ?? [];

test('multi-stage: dependencies installed without dev dependencies, then a distroless or slim Node.js 24 base', () => {
  assert.ok(dockerfile.length >= 2, 'at least two stages');
  const [from] = finalStage;
  assert.match(from?.args ?? '', /^(gcr\.io\/distroless\/nodejs24-\S+|node:24[\w.-]*-slim)(\s|$)/);
  const installs = dockerfile
    .slice(0, -1)
    .flat()
    .filter(({ keyword, args }) => keyword === 'RUN' && /\bnpm\b/.test(args));
  assert.ok(installs.length > 0, 'npm runs in a build stage');
  for (const { args } of installs) {
    assert.match(args, /\bnpm ci\b/);
    assert.match(args, /--omit=dev\b/);
  }
  assert.ok(
    !finalStage.some(({ keyword }) => keyword === 'RUN'),
    'nothing runs in the final stage (distroless has no shell)',
  );
});

test('the final stage: numeric non-root user (the Deployment’s), the operator as entry point, its ports', () => {
  const users = finalStage.filter(({ keyword }) => keyword === 'USER');
  const user = users.at(-1)?.args ?? '';
  assert.match(user, /^\d+(:\d+)?$/, 'USER is numeric, so runAsNonRoot can be checked by the kubelet');
  const [uid, gid] = user.split(':').map(Number);
  assert.notEqual(uid, 0);

  const deployment = parseManifests(readFileSync(MANIFESTS_FILE, 'utf8'), 'cloak.yaml').find(
    (object) => object['kind'] === 'Deployment',
  ) as {
    spec: {
      template: {
        spec: {
          securityContext: { runAsUser: number; runAsGroup: number };
          containers: { args: string[]; ports: { containerPort: number }[] }[];
        };
      };
    };
  };
  const pod = deployment.spec.template.spec;
  assert.equal(uid, pod.securityContext.runAsUser);
  assert.equal(gid, pod.securityContext.runAsGroup);

  const entrypoint = finalStage.find(({ keyword }) => keyword === 'ENTRYPOINT');
  const command = JSON.parse(entrypoint?.args ?? 'null') as string[];
  assert.ok(Array.isArray(command), 'ENTRYPOINT in exec form (signals reach node, no shell)');
  assert.match(command[0] ?? '', /(^|\/)node$/);
  // The operator's memory settings, as `cloak operator` would otherwise restart itself to apply them.
  assert.deepEqual(command.slice(1), [...OPERATOR_NODE_FLAGS, 'bin/cloak', 'operator']);
  const environment = finalStage
    .filter(({ keyword }) => keyword === 'ENV')
    .flatMap(({ args }) => args.split(/\s+/))
    .map((pair) => pair.split('=', 2) as [string, string]);
  assert.deepEqual(Object.fromEntries(environment), {
    ...OPERATOR_MALLOC_ENV,
    NODE_COMPILE_CACHE: '/tmp/node-compile-cache',
  });
  // …where the pod can write it.
  const mounts = (pod.containers[0] as unknown as { volumeMounts: { mountPath: string }[] }).volumeMounts;
  assert.ok(mounts.some(({ mountPath }) => mountPath === '/tmp'));
  // The Deployment passes only flags: the entry point names the command.
  assert.ok(pod.containers[0]?.args.every((arg) => arg.startsWith('--')));

  const exposed = finalStage
    .filter(({ keyword }) => keyword === 'EXPOSE')
    .flatMap(({ args }) => args.split(/\s+/).map(Number));
  assert.deepEqual(
    exposed,
    pod.containers[0]?.ports.map(({ containerPort }) => containerPort),
  );
});

test('the image holds package.json, bin/ and src/, and the sources need nothing else', () => {
  const copied = finalStage
    .filter(({ keyword, args }) => keyword === 'COPY' && !args.startsWith('--from'))
    .map(({ args }) => args.split(/\s+/)[0]);
  assert.deepEqual(copied.sort(), ['bin', 'package.json', 'src']);
  assert.ok(
    finalStage.some(
      ({ keyword, args }) => keyword === 'COPY' && /^--from=\S+ \/app\/node_modules /.test(args),
    ),
    'node_modules from the dependencies stage',
  );

  const manifest = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const src = join(REPOSITORY, 'src');
  const problems: string[] = [];
  for (const file of sourceFiles(src)) {
    for (const specifier of runtimeSpecifiers(readFileSync(file, 'utf8'))) {
      const where = relative(REPOSITORY, file);
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (!target.startsWith(`${src}/`) && target !== join(REPOSITORY, 'package.json'))
          problems.push(`${where} loads ${specifier}, which is not in the image`);
      } else if (!(packageName(specifier) in manifest.dependencies)) {
        problems.push(`${where} loads ${specifier}, which is not a production dependency`);
      }
    }
  }
  assert.deepEqual(problems, []);
  // bin/cloak loads the sources it is copied with.
  assert.match(readFileSync(join(REPOSITORY, 'bin/cloak'), 'utf8'), /import\('\.\.\/src\/cli\/main\.ts'\)/);
});

test('.dockerignore keeps the build context small and free of local state', () => {
  const ignored = readFileSync(join(REPOSITORY, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const entry of ['.git', 'node_modules', 'test', '.cloak']) assert.ok(ignored.includes(entry), entry);
  for (const entry of ['src', 'bin', 'package.json', 'package-lock.json'])
    assert.ok(!ignored.includes(entry), `${entry} is needed by the build`);
});
