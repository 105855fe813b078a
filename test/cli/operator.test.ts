import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listen, operatorSettings } from '../../src/cli/commands/operator-run.ts';
import type { OperatorFlags } from '../../src/cli/commands/operator.ts';
import { parseManifests } from '../../src/manifests/decode.ts';
import { sealedSecretsCrd } from '../../src/operator/sealed-secrets/crd.ts';
import { runCloak } from '../helpers/cli.ts';

/** The flags as commander hands them over with nothing given (the defaults `cloak operator --help` shows). */
const DEFAULTS: OperatorFlags = {
  keyPrefix: 'sealed-secrets-key',
  keySize: '4096',
  keyTtl: '87600h',
  myCn: '',
  keyRenewPeriod: '720h',
  keyOrderPriority: 'CertNotBefore',
  acceptDeprecatedV1Data: true,
  allNamespaces: true,
  rateLimit: '2',
  rateLimitBurst: '2',
  updateStatus: true,
  skipRecreate: false,
  maxUnsealRetries: '5',
  logLevel: 'info',
  logFormat: 'json',
  listenAddr: ':8080',
  listenMetricsAddr: ':8081',
  kubeclientQps: '50',
  kubeclientBurst: '100',
  leaderElect: false,
  leaderElectionId: 'sealed-secrets-controller',
  leaderElectLeaseDuration: '15s',
  leaderElectRenewDeadline: '10s',
  leaderElectRetryPeriod: '2s',
  serviceName: 'sealed-secrets-controller',
  workers: '4',
};

test('`cloak operator crds` prints the SealedSecret CRD', async () => {
  const result = await runCloak(['operator', 'crds']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(parseManifests(result.stdout, 'stdout'), [sealedSecretsCrd()]);
});

test('flags are checked before anything connects: usage errors exit 2 and name the flag', async () => {
  const cases: [string[], RegExp][] = [
    [['--key-size', '1000'], /--key-size must be one of 2048, 3072, 4096/],
    [['--key-cutoff-time', 'yesterday'], /--key-cutoff-time: "yesterday" is not RFC 1123/],
    [['--listen-addr', '8080'], /--listen-addr must be \[host\]:port/],
    [['--key-renew-period', 'monthly'], /invalid duration "monthly" for --key-renew-period/],
    [['--leader-elect-renew-deadline', '20s'], /--leader-elect-lease-duration must be longer/],
    [['--update-status=maybe'], /--update-status: invalid boolean "maybe"/],
    [['--advertise-address', 'localhost'], /--advertise-address must be an IP address/],
    [
      ['--key-order-priority', 'Newest'],
      /--key-order-priority must be CertNotBefore or SecretCreationTimestamp/,
    ],
    [['--key-prefix', 'Sealed_Keys'], /--key-prefix "Sealed_Keys"/],
  ];
  for (const [args, message] of cases) {
    const result = await runCloak(['operator', ...args]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  const fromEnvironment = await runCloak(['operator'], { env: { SEALED_SECRETS_KEY_SIZE: '1000' } });
  assert.equal(fromEnvironment.code, 2);
  assert.match(fromEnvironment.stderr, /--key-size must be one of/);
  const noCluster = await runCloak(['operator', '--key-size', '2048']);
  assert.equal(noCluster.code, 1);
  assert.match(noCluster.stderr, /^error: no kubeconfig found/);
});

test('settings: upstream defaults, Go booleans, namespaces, leader election', () => {
  const defaults = operatorSettings(DEFAULTS, {});
  assert.equal(defaults.operator.controllerNamespace, 'kube-system');
  assert.equal(defaults.operator.namespaces, undefined, 'every namespace');
  assert.deepEqual(defaults.operator.http, { host: '', port: 8080 });
  assert.deepEqual(defaults.operator.metricsListen, { host: '', port: 8081 });
  assert.deepEqual(defaults.operator.keys.renewal, { periodMs: 720 * 3600 * 1000, cutoff: undefined });
  assert.equal(defaults.operator.keys.bits, 4096);
  assert.equal(defaults.operator.leaderElection, undefined);
  assert.deepEqual(defaults.operator.rateLimit, { rate: 2, burst: 2 });
  assert.equal(defaults.operator.updateStatus, true);

  const set = operatorSettings(
    {
      ...DEFAULTS,
      updateStatus: 'false',
      allNamespaces: 'false',
      additionalNamespaces: 'apps,kube-system,apps',
      leaderElect: true,
      rotatePeriod: '1h',
      privatekeyLabels: 'env=prod',
      advertiseAddress: '127.0.0.1',
    },
    { POD_NAMESPACE: 'sealed', POD_NAME: 'pod-1' },
  );
  assert.equal(set.operator.controllerNamespace, 'sealed');
  assert.deepEqual(set.operator.namespaces, ['sealed', 'apps', 'kube-system']);
  assert.equal(set.operator.updateStatus, false);
  assert.equal(set.operator.keys.renewal.periodMs, 3600 * 1000, 'the deprecated --rotate-period still works');
  assert.deepEqual(set.operator.keys.labels, { env: 'prod' });
  assert.equal(set.operator.leaderElection?.namespace, 'sealed');
  assert.equal(set.operator.leaderElection?.name, 'sealed-secrets-controller');
  assert.match(set.operator.leaderElection?.identity ?? '', /^pod-1_[0-9a-f]{8}$/);
  assert.deepEqual(set.operator.advertise, {
    address: '127.0.0.1',
    serviceName: 'sealed-secrets-controller',
  });

  assert.deepEqual(listen('[::1]:0', 'x'), { host: '::1', port: 0 });
  assert.deepEqual(listen('127.0.0.1:8443', 'x'), { host: '127.0.0.1', port: 8443 });
  assert.throws(() => listen(':70000', '--listen-addr'), /--listen-addr/);
});
