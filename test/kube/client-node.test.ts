/**
 * client-node's KubeConfig without its generated API (src/kube/client-node.ts), each case in a fresh Node.js
 * process so that what gets loaded can be watched (a load hook records every module URL): the lite load never
 * reaches the generated API (`dist/gen/`, but for a one-function helper) or undici, and still does what we keep client-node for — tokens, exec plugins, OIDC,
 * HTTP and SOCKS proxies. The whole client loaded later in the same process is untouched and works, and a
 * stand-in that no longer links (a client-node release importing more) falls back to the whole client.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLIENT_NODE = new URL('../../src/kube/client-node.ts', import.meta.url).href;

/** Runs `body` (an ES module's code, after a recording load hook is installed) in a fresh process. */
async function inFreshProcess(body: string): Promise<Record<string, unknown>> {
  const code = `
    import module from 'node:module';
    const loaded = [];
    module.registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const result = {};
    ${body}
    process.stdout.write(JSON.stringify(result));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** A JWT that expires in a day (OIDC: used as it is, no issuer contacted). */
function idToken(): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ exp: Math.floor(Date.now() / 1000) + 86_400 })}.c2ln`;
}

const execCredential = JSON.stringify({
  apiVersion: 'client.authentication.k8s.io/v1',
  kind: 'ExecCredential',
  status: { token: 'from-exec-plugin' },
});

/** One context per way of authenticating or connecting that client-node must still handle. */
const KUBECONFIG = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [
    { name: 'direct', cluster: { server: 'https://127.0.0.1:6443', 'insecure-skip-tls-verify': true } },
    { name: 'http-proxy', cluster: { server: 'https://10.0.0.1', 'proxy-url': 'http://127.0.0.1:3128' } },
    { name: 'socks-proxy', cluster: { server: 'https://10.0.0.1', 'proxy-url': 'socks5://127.0.0.1:1080' } },
  ],
  users: [
    { name: 'token', user: { token: 'plain-token' } },
    {
      name: 'exec',
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: process.execPath,
          args: ['-e', `process.stdout.write(${JSON.stringify(execCredential)})`],
          interactiveMode: 'Never',
        },
      },
    },
    {
      name: 'oidc',
      user: {
        'auth-provider': {
          name: 'oidc',
          config: { 'id-token': idToken(), 'client-id': 'cloak', 'idp-issuer-url': 'https://issuer.invalid' },
        },
      },
    },
  ],
  contexts: [
    { name: 'token', context: { cluster: 'direct', user: 'token' } },
    { name: 'exec', context: { cluster: 'direct', user: 'exec' } },
    { name: 'oidc', context: { cluster: 'direct', user: 'oidc' } },
    { name: 'http-proxy', context: { cluster: 'http-proxy', user: 'token' } },
    { name: 'socks-proxy', context: { cluster: 'socks-proxy', user: 'token' } },
  ],
  'current-context': 'token',
});

test('KubeConfig loads without the generated API or undici, and still authenticates and proxies', async () => {
  const result = await inFreshProcess(`
    const { kubeConfigClass, clientNodeMode } = await import(${JSON.stringify(CLIENT_NODE)});
    const KubeConfig = await kubeConfigClass();
    result.mode = await clientNodeMode();
    result.gen = loaded.filter((url) => url.includes('/client-node/dist/gen/'));
    result.undici = loaded.filter((url) => url.includes('/node_modules/undici/')).length;
    const config = new KubeConfig();
    config.loadFromString(${JSON.stringify(KUBECONFIG)});
    result.contexts = {};
    for (const name of ['token', 'exec', 'oidc', 'http-proxy', 'socks-proxy']) {
      config.setCurrentContext(name);
      const options = {};
      await config.applyToHTTPSOptions(options);
      result.contexts[name] = [options.headers?.Authorization ?? '', options.agent?.constructor.name ?? ''];
    }
    try {
      config.makeApiClient(class {});
    } catch (error) {
      result.makeApiClient = error.code + ': ' + error.message;
    }
    // The whole client, loaded afterwards in the same process, is the real one.
    const full = await import('@kubernetes/client-node');
    const fullConfig = new full.KubeConfig();
    fullConfig.loadFromString(${JSON.stringify(KUBECONFIG)});
    result.fullApi = typeof fullConfig.makeApiClient(full.CoreV1Api).listNamespace;
    result.fullGen = loaded.filter((url) => url.includes('/client-node/dist/gen/')).length;
  `);
  assert.equal(result['mode'], 'lite');
  // middleware.js takes one small helper from there (rxjsStub.js: `of`), nothing else.
  assert.deepEqual(
    (result['gen'] as string[]).map((url) => url.replace(/^.*\/dist\/gen\//, '')),
    ['rxjsStub.js'],
  );
  assert.equal(result['undici'], 0, 'undici was not loaded');
  const idTokenUsed = (result['contexts'] as Record<string, string[]>)['oidc']?.[0] ?? '';
  assert.deepEqual(result['contexts'], {
    token: ['Bearer plain-token', 'Agent'],
    exec: ['Bearer from-exec-plugin', 'Agent'],
    oidc: [idTokenUsed, 'Agent'],
    'http-proxy': ['Bearer plain-token', 'HttpsProxyAgent'],
    'socks-proxy': ['Bearer plain-token', 'SocksProxyAgent'],
  });
  assert.match(idTokenUsed, /^Bearer ey/);
  assert.match(
    String(result['makeApiClient']),
    /^ERR_CLIENT_NODE_UNAVAILABLE: @kubernetes\/client-node's makeApiClient is not available/,
  );
  assert.equal(result['fullApi'], 'function');
  assert.ok(Number(result['fullGen']) > 100, 'the whole client loads its generated API');
});

test('a stand-in that no longer links falls back to the whole client', async () => {
  const result = await inFreshProcess(`
    const { loadKubeConfigClass } = await import(${JSON.stringify(CLIENT_NODE)});
    // As if a client-node release imported a name the stand-in does not have.
    const shims = { './gen/index.js': 'data:text/javascript,export const somethingElse = 1;' };
    const { KubeConfig, mode } = await loadKubeConfigClass(shims);
    result.mode = mode;
    const full = await import('@kubernetes/client-node');
    result.same = KubeConfig === full.KubeConfig;
    const config = new KubeConfig();
    config.loadFromString(${JSON.stringify(KUBECONFIG)});
    const options = {};
    await config.applyToHTTPSOptions(options);
    result.authorization = options.headers.Authorization;
  `);
  assert.deepEqual(result, { mode: 'full', same: true, authorization: 'Bearer plain-token' });
});
