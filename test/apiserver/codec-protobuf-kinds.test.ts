/**
 * The protobuf request codec for every kind it has a descriptor for.
 *
 * - Real kubectl (v1.32) bodies: a small HTTP server on 127.0.0.1 serves discovery (and the objects some commands
 *   read first), records what kubectl POSTs, and each body must decode to exactly what
 *   `kubectl … --dry-run=client -o json` prints for the same command — same keys, same values, same order. No
 *   normalisation is applied: kubectl's printer is Go's JSON encoder on the typed object, and the decoder writes
 *   what that encoder writes (`creationTimestamp: null`, `status: {}`, `resources: {}`, `rules: null` …). The
 *   decoded object must also encode back to kubectl's bytes exactly (gogo's field order and presence rules).
 *   `kubectl create token` has no --dry-run; its bodies are checked against the TokenRequest written out by hand.
 * - Kinds kubectl never sends as protobuf (StatefulSet, DaemonSet, NetworkPolicy, Lease, Event, Pod status) are
 *   checked with bodies assembled here field by field from upstream's generated.proto numbers.
 * - The wire decoder: varints, packed and unpacked repeated fields, unknown fields, truncation, errors.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { ProtobufError } from '../../src/common/protobuf-wire.ts';
import { registeredMessages, resolve, SCALARS } from '../../src/apiserver/codec/descriptors/types.ts';
import {
  PROTOBUF_REQUEST_KINDS,
  decodeProtobufRequest,
  encodeProtobufObject,
} from '../../src/apiserver/codec/protobuf.ts';
import { Reader, Writer } from '../../src/common/protobuf-wire.ts';
import { ResourceRegistry } from '../../src/apiserver/resources.ts';
import { discoveryRoutes } from '../helpers/discovery-routes.ts';
import { kubeconfigYaml } from '../helpers/fake-apiserver.ts';
import { tempDir, writeTemp } from '../helpers/keys.ts';
import { runTool } from '../helpers/sops-tools.ts';
import { testTls } from '../helpers/test-tls.ts';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// A protobuf writer of its own, knowing nothing of the codec: `msg(field, value, field, value, …)`; numbers,
// bigints and booleans are varints, strings and Buffers (nested messages included) length-delimited.
// ---------------------------------------------------------------------------------------------------------

type PbValue = number | bigint | boolean | string | Buffer;

function varint(value: number | bigint | boolean): Buffer {
  let n = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (n >= 0x80n) {
    bytes.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  bytes.push(Number(n));
  return Buffer.from(bytes);
}

function msg(...pairs: PbValue[]): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const field = pairs[i] as number;
    const value = pairs[i + 1] as PbValue;
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      parts.push(varint(field * 8), varint(value));
    } else {
      const payload = typeof value === 'string' ? Buffer.from(value) : value;
      parts.push(varint(field * 8 + 2), varint(payload.length), payload);
    }
  }
  return Buffer.concat(parts);
}

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0'), msg(1, msg(1, apiVersion, 2, kind), 2, raw, 3, '', 4, '')]);
}

/** A map entry {1: key, 2: value}. */
const entry = (key: string, value: PbValue): Buffer => msg(1, key, 2, value);
/** intstr.IntOrString {1: type, 2: intVal, 3: strVal}. */
const intOrString = (value: number | string): Buffer =>
  typeof value === 'number' ? msg(1, 0, 2, value) : msg(1, 1, 3, value);
/** meta.v1.Time / MicroTime {1: seconds, 2: nanos}. */
const time = (seconds: number, nanos = 0): Buffer => msg(1, seconds, 2, nanos);
/** meta.v1.ObjectMeta {1: name, 3: namespace, 11: labels}. */
const meta = (name: string, namespace?: string, labels: Record<string, string> = {}): Buffer =>
  Buffer.concat([
    msg(1, name),
    namespace === undefined ? Buffer.alloc(0) : msg(3, namespace),
    ...Object.entries(labels).map(([key, value]) => msg(11, entry(key, value))),
  ]);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function assertCodecError(fn: () => unknown, pattern: RegExp, secret?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ProtobufError, String(error));
    assert.equal(error.code, 'ERR_CODEC');
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    if (secret !== undefined) assert.ok(!error.message.includes(secret), 'no data value in the message');
    return true;
  });
}

/** Decoded JSON equal to the expected object, keys in the same order. */
function assertJson(actual: unknown, expected: unknown): void {
  assert.deepEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

// ---------------------------------------------------------------------------------------------------------
// Real kubectl
// ---------------------------------------------------------------------------------------------------------

interface Posted {
  path: string;
  contentType: string | undefined;
  body: Buffer;
}

interface KubectlBench {
  run(args: readonly string[]): Promise<{ code: number; stdout: Buffer; stderr: string }>;
  posted: Posted[];
  dir: string;
}

/** A CronJob whose job template uses most of the pod tree; `kubectl create job --from=cronjob/rich` copies it. */
const RICH_CRONJOB: Json = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'rich', namespace: 'default', uid: '6b1f7c2e-0d3a-4f47-9a41-2f0e3c5d8a11' },
  spec: {
    schedule: '*/5 * * * *',
    timeZone: 'Etc/UTC',
    jobTemplate: {
      metadata: { labels: { team: 'a' }, annotations: { note: 'x' } },
      spec: {
        parallelism: 2,
        completions: 4,
        activeDeadlineSeconds: 600,
        backoffLimit: 0,
        backoffLimitPerIndex: 1,
        maxFailedIndexes: 2,
        completionMode: 'Indexed',
        suspend: false,
        ttlSecondsAfterFinished: 100,
        manualSelector: true,
        selector: {
          matchLabels: { job: 'rich' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['a', 'b'] },
            { key: 'x', operator: 'Exists' },
          ],
        },
        podReplacementPolicy: 'Failed',
        managedBy: 'example.com/ctl',
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [1, 2, 42] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          ],
        },
        successPolicy: { rules: [{ succeededIndexes: '0-2', succeededCount: 1 }] },
        template: {
          metadata: { labels: { job: 'rich', tier: 'a' } },
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 0,
            activeDeadlineSeconds: 900,
            dnsPolicy: 'None',
            nodeSelector: { disk: 'ssd', zone: 'z1' },
            serviceAccountName: 'runner',
            automountServiceAccountToken: false,
            hostNetwork: true,
            hostPID: true,
            hostIPC: true,
            shareProcessNamespace: true,
            hostname: 'h',
            subdomain: 's',
            schedulerName: 'custom',
            priorityClassName: 'high',
            priority: 1000,
            runtimeClassName: 'gvisor',
            enableServiceLinks: false,
            preemptionPolicy: 'Never',
            setHostnameAsFQDN: true,
            os: { name: 'linux' },
            hostUsers: false,
            overhead: { cpu: '250m', memory: '120Mi' },
            imagePullSecrets: [{ name: 'regcred' }, {}],
            securityContext: {
              runAsUser: 1000,
              runAsGroup: 3000,
              runAsNonRoot: true,
              fsGroup: 2000,
              supplementalGroups: [4000, 5000],
              supplementalGroupsPolicy: 'Strict',
              fsGroupChangePolicy: 'OnRootMismatch',
              seLinuxChangePolicy: 'Recursive',
              sysctls: [{ name: 'net.core.somaxconn', value: '1024' }],
              seccompProfile: { type: 'RuntimeDefault' },
              appArmorProfile: { type: 'Localhost', localhostProfile: 'p' },
              seLinuxOptions: { level: 's0:c123,c456' },
              windowsOptions: { gmsaCredentialSpecName: 'g', runAsUserName: 'u', hostProcess: false },
            },
            tolerations: [
              { key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 60 },
              { operator: 'Exists' },
            ],
            hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.local', 'b.local'] }],
            dnsConfig: {
              nameservers: ['1.1.1.1'],
              searches: ['svc.local'],
              options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
            },
            readinessGates: [{ conditionType: 'example.com/ready' }],
            schedulingGates: [{ name: 'example.com/gate' }],
            resourceClaims: [{ name: 'gpu', resourceClaimTemplateName: 'gpu-template' }],
            resources: { limits: { cpu: '2' }, requests: { cpu: '1' } },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'zone',
                whenUnsatisfiable: 'DoNotSchedule',
                labelSelector: { matchLabels: { job: 'rich' } },
                minDomains: 2,
                nodeAffinityPolicy: 'Honor',
                nodeTaintsPolicy: 'Ignore',
                matchLabelKeys: ['pod-template-hash'],
              },
            ],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [{ key: 'arch', operator: 'In', values: ['amd64'] }],
                      matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n9'] }],
                    },
                  ],
                },
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
                ],
              },
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  {
                    labelSelector: { matchLabels: { app: 'db' } },
                    namespaces: ['data'],
                    topologyKey: 'zone',
                    namespaceSelector: {},
                    matchLabelKeys: ['rev'],
                    mismatchLabelKeys: ['other'],
                  },
                ],
              },
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 50, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } },
                ],
              },
            },
            volumes: [
              {
                name: 'sec',
                secret: {
                  secretName: 's1',
                  items: [{ key: 'a', path: 'a.txt', mode: 256 }],
                  defaultMode: 420,
                  optional: true,
                },
              },
              {
                name: 'cm',
                configMap: {
                  name: 'cm1',
                  items: [{ key: 'k', path: 'k' }],
                  defaultMode: 292,
                  optional: false,
                },
              },
              { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
              { name: 'empty', emptyDir: {} },
              { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
              { name: 'claim', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
              {
                name: 'dapi',
                downwardAPI: {
                  items: [
                    { path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
                    {
                      path: 'cpu',
                      resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' },
                      mode: 384,
                    },
                  ],
                  defaultMode: 420,
                },
              },
              { name: 'nfs', nfs: { server: 'nfs.local', path: '/export', readOnly: true } },
              {
                name: 'csi',
                csi: {
                  driver: 'secrets-store.csi.k8s.io',
                  readOnly: true,
                  fsType: 'ext4',
                  volumeAttributes: { secretProviderClass: 'vault' },
                  nodePublishSecretRef: { name: 'creds' },
                },
              },
              { name: 'img', image: { reference: 'registry/data:1', pullPolicy: 'IfNotPresent' } },
              {
                name: 'proj',
                projected: {
                  defaultMode: 256,
                  sources: [
                    { secret: { name: 's2', items: [{ key: 'tls.crt', path: 'tls.crt' }], optional: true } },
                    { configMap: { name: 'cm2' } },
                    { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
                    { serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } },
                    {
                      clusterTrustBundle: {
                        signerName: 'example.com/signer',
                        labelSelector: { matchLabels: { a: 'b' } },
                        optional: true,
                        path: 'ca.pem',
                      },
                    },
                  ],
                },
              },
              {
                name: 'eph',
                ephemeral: {
                  volumeClaimTemplate: {
                    metadata: { labels: { type: 'scratch' } },
                    spec: {
                      accessModes: ['ReadWriteOnce'],
                      storageClassName: 'fast',
                      volumeMode: 'Filesystem',
                      resources: { requests: { storage: '1Gi' } },
                      selector: { matchLabels: { pv: 'x' } },
                      dataSource: { kind: 'PersistentVolumeClaim', name: 'src' },
                      dataSourceRef: {
                        apiGroup: 'snapshot.storage.k8s.io',
                        kind: 'VolumeSnapshot',
                        name: 'snap',
                        namespace: 'other',
                      },
                      volumeName: 'pv1',
                      volumeAttributesClassName: 'gold',
                    },
                  },
                },
              },
            ],
            initContainers: [
              {
                name: 'sidecar',
                image: 'envoy:1',
                restartPolicy: 'Always',
                ports: [
                  {
                    name: 'admin',
                    containerPort: 9901,
                    protocol: 'TCP',
                    hostPort: 9901,
                    hostIP: '127.0.0.1',
                  },
                ],
              },
              {
                name: 'init',
                image: 'busybox',
                command: ['sh', '-c'],
                args: ['echo init'],
                workingDir: '/w',
              },
            ],
            containers: [
              {
                name: 'main',
                image: 'app:2',
                imagePullPolicy: 'Always',
                command: ['/app'],
                args: ['--flag', ''],
                ports: [
                  { containerPort: 8080, name: 'http' },
                  { containerPort: 53, protocol: 'UDP' },
                ],
                env: [
                  { name: 'PLAIN', value: 'v' },
                  { name: 'EMPTY' },
                  {
                    name: 'FROM_SECRET',
                    valueFrom: { secretKeyRef: { name: 's1', key: 'password', optional: false } },
                  },
                  { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cm1', key: 'k' } } },
                  {
                    name: 'POD_IP',
                    valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } },
                  },
                  {
                    name: 'MEM',
                    valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
                  },
                ],
                envFrom: [
                  { prefix: 'CM_', configMapRef: { name: 'cm1', optional: true } },
                  { secretRef: { name: 's1' } },
                ],
                resources: {
                  limits: { cpu: '500m', memory: '256Mi', 'nvidia.com/gpu': '1' },
                  requests: { cpu: '250m', memory: '128Mi' },
                  claims: [{ name: 'gpu', request: 'r1' }],
                },
                resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
                volumeMounts: [
                  { name: 'sec', mountPath: '/etc/sec', readOnly: true, recursiveReadOnly: 'IfPossible' },
                  { name: 'tmp', mountPath: '/tmp', subPath: 'x', mountPropagation: 'HostToContainer' },
                  { name: 'cm', mountPath: '/cfg', subPathExpr: '$(POD)' },
                ],
                volumeDevices: [{ name: 'claim', devicePath: '/dev/xvda' }],
                livenessProbe: {
                  httpGet: {
                    path: '/healthz',
                    port: 8080,
                    host: 'h',
                    scheme: 'HTTPS',
                    httpHeaders: [{ name: 'X-A', value: '1' }],
                  },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                  timeoutSeconds: 2,
                  successThreshold: 1,
                  failureThreshold: 3,
                  terminationGracePeriodSeconds: 12,
                },
                readinessProbe: { tcpSocket: { port: 'http' } },
                startupProbe: { grpc: { port: 9000 } },
                lifecycle: {
                  postStart: { exec: { command: ['touch', '/ready'] } },
                  preStop: { sleep: { seconds: 5 } },
                },
                terminationMessagePath: '/dev/termination-log',
                terminationMessagePolicy: 'FallbackToLogsOnError',
                securityContext: {
                  capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
                  privileged: false,
                  runAsUser: 1001,
                  runAsGroup: 0,
                  runAsNonRoot: true,
                  readOnlyRootFilesystem: true,
                  allowPrivilegeEscalation: false,
                  procMount: 'Default',
                  seccompProfile: { type: 'Localhost', localhostProfile: 'prof.json' },
                  seLinuxOptions: { user: 'u', role: 'r', type: 't', level: 'l' },
                },
                stdin: true,
                stdinOnce: true,
                tty: true,
              },
            ],
          },
        },
      },
    },
  },
};

/**
 * A CronJob whose job template is made of empty values: kubectl's Go types decide which zero fields its JSON
 * shows (`containerPort: 0`, `key: ""`, `divisor: "0"`, `service: null`, `values: null` …) and which it omits.
 */
const SPARSE_CRONJOB: Json = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'sparse', namespace: 'default', uid: '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d' },
  spec: {
    schedule: '@daily',
    jobTemplate: {
      spec: {
        podFailurePolicy: {
          rules: [
            { action: 'Ignore', onPodConditions: [{ type: 'X' }] },
            { action: 'FailJob', onExitCodes: { operator: 'In' } },
          ],
        },
        successPolicy: { rules: [{}] },
        template: {
          spec: {
            containers: [
              {
                ports: [{}],
                env: [
                  {},
                  { valueFrom: { resourceFieldRef: {} } },
                  { valueFrom: { fieldRef: {} } },
                  { valueFrom: { configMapKeyRef: {} } },
                  { valueFrom: { secretKeyRef: {} } },
                ],
                envFrom: [{}, { configMapRef: {} }],
                volumeMounts: [{}],
                volumeDevices: [{}],
                resizePolicy: [{}],
                resources: { claims: [{}] },
                livenessProbe: { tcpSocket: {} },
                readinessProbe: { httpGet: { httpHeaders: [{}] } },
                startupProbe: { grpc: {} },
                lifecycle: { preStop: { sleep: {} }, postStart: { exec: {} } },
                securityContext: {
                  seccompProfile: {},
                  appArmorProfile: {},
                  capabilities: {},
                  seLinuxOptions: {},
                  windowsOptions: {},
                },
              },
            ],
            initContainers: [{}],
            hostAliases: [{}],
            imagePullSecrets: [{}],
            readinessGates: [{}],
            schedulingGates: [{}],
            resourceClaims: [{}],
            tolerations: [{}],
            topologySpreadConstraints: [{}],
            os: {},
            dnsConfig: { options: [{}] },
            securityContext: { sysctls: [{}] },
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {},
                preferredDuringSchedulingIgnoredDuringExecution: [{}],
              },
              podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{}],
                preferredDuringSchedulingIgnoredDuringExecution: [{}],
              },
              podAntiAffinity: {},
            },
            volumes: [
              {
                projected: {
                  sources: [
                    {},
                    { serviceAccountToken: {} },
                    { clusterTrustBundle: {} },
                    { secret: { items: [{}] } },
                    { downwardAPI: { items: [{}] } },
                  ],
                },
              },
              { name: 'a', secret: {} },
              { name: 'b', hostPath: {} },
              { name: 'c', nfs: {} },
              { name: 'd', csi: {} },
              { name: 'e', downwardAPI: {} },
              {
                name: 'f',
                ephemeral: { volumeClaimTemplate: { spec: { dataSource: {}, dataSourceRef: {} } } },
              },
              { name: 'g', persistentVolumeClaim: {} },
              { name: 'h', emptyDir: {} },
              { name: 'i', image: {} },
              { name: 'j', configMap: {} },
              { name: 'k', ephemeral: {} },
            ],
          },
        },
      },
    },
  },
};

function richPod(): Json {
  const jobTemplate = (RICH_CRONJOB['spec'] as Json)['jobTemplate'] as Json;
  const template = (jobTemplate['spec'] as Json)['template'] as Json;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p1',
      namespace: 'default',
      uid: '0c7e4f1a-2b3d-4c5e-8f90-a1b2c3d4e5f6',
      labels: { app: 'p' },
    },
    spec: template['spec'],
    status: { phase: 'Running', podIP: '10.1.2.3' },
  };
}

/** Replies to the requests kubectl makes; undefined for a 404. */
function route(method: string, path: string): { status: number; body: string } | undefined {
  const pathname = new URL(path, 'http://server').pathname;
  if (method === 'GET' && pathname === '/apis/batch/v1/namespaces/default/cronjobs/rich') {
    return { status: 200, body: JSON.stringify(RICH_CRONJOB) };
  }
  if (method === 'GET' && pathname === '/apis/batch/v1/namespaces/default/cronjobs/sparse') {
    return { status: 200, body: JSON.stringify(SPARSE_CRONJOB) };
  }
  if (method === 'GET' && pathname === '/api/v1/namespaces/default/pods/p1') {
    return { status: 200, body: JSON.stringify(richPod()) };
  }
  if (method === 'POST' && pathname.endsWith('/token')) {
    return {
      status: 201,
      body: JSON.stringify({
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: {},
        spec: { audiences: ['https://kubernetes.default.svc'] },
        status: { token: 'header.payload.signature', expirationTimestamp: '2030-01-01T00:00:00Z' },
      }),
    };
  }
  // The typed client reads only the name back from a create.
  if (method === 'POST') return { status: 201, body: '{"metadata":{"name":"created"}}' };
  return undefined;
}

async function kubectlBench(t: TestContext): Promise<KubectlBench | undefined> {
  const probe = await runTool('kubectl', ['version', '--client'], {
    env: { PATH: process.env['PATH'] },
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (probe === undefined) return undefined;

  const discovery = discoveryRoutes(new ResourceRegistry());
  const posted: Posted[] = [];
  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = incoming.method ?? '';
    const path = incoming.url ?? '';
    const reply =
      discovery({ method, path, headers: incoming.headers, body: '' }) ??
      (() => {
        const answer = route(method, path);
        return answer && { ...answer, contentType: 'application/json' };
      })();
    if (method === 'POST') posted.push({ path, contentType: incoming.headers['content-type'], body });
    if (reply === undefined) {
      response.writeHead(404, { 'Content-Type': 'application/json' });
      response.end(
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"NotFound","code":404}',
      );
      return;
    }
    response.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json' });
    response.end(reply.body ?? '');
  }
  const server = createServer((incoming, response) => void handle(incoming, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const dir = await tempDir(t);
  const kubeconfig = await writeTemp(
    dir,
    'kubeconfig',
    kubeconfigYaml({
      server: `http://127.0.0.1:${port}`,
      token: 'test-token',
      contexts: [{ name: 'test', namespace: 'default' }],
    }),
  );
  const env = { PATH: process.env['PATH'], HOME: dir };
  return {
    posted,
    dir,
    run: (args) =>
      runTool('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { env }),
  };
}

/** Runs a create command and returns the single body it POSTed (asserting it was protobuf). */
async function capture(bench: KubectlBench, args: readonly string[]): Promise<Buffer> {
  bench.posted.length = 0;
  const result = await bench.run(args);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
  assert.equal(bench.posted.length, 1, 'one POST');
  const [post] = bench.posted;
  assert.ok(post);
  assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
  return post.body;
}

async function dryRun(bench: KubectlBench, args: readonly string[]): Promise<unknown> {
  // The flags go before a `--` that starts the container's command.
  const end = args.includes('--') ? args.indexOf('--') : args.length;
  const result = await bench.run([
    ...args.slice(0, end),
    '--dry-run=client',
    '-o',
    'json',
    ...args.slice(end),
  ]);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')} --dry-run: ${result.stderr}`);
  return JSON.parse(result.stdout.toString('utf8')) as unknown;
}

const TOKEN_FULL = {
  kind: 'TokenRequest',
  apiVersion: 'authentication.k8s.io/v1',
  metadata: { creationTimestamp: null },
  spec: {
    audiences: ['vault', 'https://example.com'],
    expirationSeconds: 3600,
    boundObjectRef: {
      kind: 'Pod',
      apiVersion: 'v1',
      name: 'p1',
      uid: '0c7e4f1a-2b3d-4c5e-8f90-a1b2c3d4e5f6',
    },
  },
  status: { token: '', expirationTimestamp: null },
};

test('real kubectl 1.32 protobuf bodies decode to its own JSON for the same object, and encode back', async (t) => {
  const bench = await kubectlBench(t);
  if (bench === undefined) {
    t.skip('kubectl is not installed');
    return;
  }
  const tls = await testTls();
  const certFile = await writeTemp(bench.dir, 'tls.crt', tls.certPem);
  const keyFile = await writeTemp(bench.dir, 'tls.key', tls.keyPem);
  // Bytes that are not UTF-8: kubectl puts them in a ConfigMap's binaryData.
  const binFile = await writeTemp(bench.dir, 'blob.bin', Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]));

  const cases: Record<string, string[]> = {
    namespace: ['create', 'namespace', 'team-a'],
    'secret generic': [
      'create',
      'secret',
      'generic',
      'app-creds',
      '--from-literal=user=admin',
      '--from-literal=empty=',
      `--from-file=blob=${binFile}`,
      '--type=example.com/custom',
      '--append-hash',
    ],
    'secret docker-registry': [
      'create',
      'secret',
      'docker-registry',
      'regcred',
      '--docker-server=registry.example.com',
      '--docker-username=u',
      '--docker-password=p',
      '--docker-email=u@example.com',
    ],
    'secret tls': ['create', 'secret', 'tls', 'web-tls', `--cert=${certFile}`, `--key=${keyFile}`],
    configmap: ['create', 'configmap', 'settings', '--from-literal=k=v', `--from-file=blob=${binFile}`],
    serviceaccount: ['create', 'serviceaccount', 'runner'],
    role: [
      'create',
      'role',
      'reader',
      '--verb=get,list,watch',
      '--resource=pods,deployments.apps,pods/log',
      '--resource-name=a',
      '--resource-name=b',
    ],
    clusterrole: [
      'create',
      'clusterrole',
      'logs',
      '--verb=get',
      '--non-resource-url=/healthz',
      '--non-resource-url=/logs/*',
    ],
    'clusterrole with aggregationRule': [
      'create',
      'clusterrole',
      'monitoring',
      '--aggregation-rule=rbac.example.com/aggregate-to-monitoring=true,tier=x',
    ],
    rolebinding: [
      'create',
      'rolebinding',
      'readers',
      '--clusterrole=view',
      '--user=u1',
      '--group=g1',
      '--serviceaccount=team-a:runner',
    ],
    clusterrolebinding: [
      'create',
      'clusterrolebinding',
      'all-logs',
      '--clusterrole=logs',
      '--group=system:authenticated',
    ],
    deployment: [
      'create',
      'deployment',
      'web',
      '--image=nginx:1.27',
      '--replicas=3',
      '--port=80',
      '--',
      'nginx',
      '-g',
    ],
    'deployment with two images': [
      'create',
      'deployment',
      'pair',
      '--image=nginx',
      '--image=redis',
      '--replicas=0',
    ],
    job: ['create', 'job', 'once', '--image=busybox', '--', 'sh', '-c', 'echo hi'],
    'job from a cronjob (the whole pod tree)': ['create', 'job', 'manual', '--from=cronjob/rich'],
    'job from a cronjob of empty values (which zero fields Go writes)': [
      'create',
      'job',
      'blank',
      '--from=cronjob/sparse',
    ],
    cronjob: [
      'create',
      'cronjob',
      'tick',
      '--image=busybox',
      '--schedule=*/5 * * * *',
      '--restart=OnFailure',
      '--',
      'date',
    ],
    'service clusterip': ['create', 'service', 'clusterip', 'api', '--tcp=80:8080', '--tcp=443:https'],
    'service clusterip headless': ['create', 'service', 'clusterip', 'headless', '--clusterip=None'],
    'service nodeport': ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'],
    'service loadbalancer': ['create', 'service', 'loadbalancer', 'lb', '--tcp=5678:8080'],
    'service externalname': [
      'create',
      'service',
      'externalname',
      'ext',
      '--external-name=example.com',
      '--tcp=80',
    ],
    ingress: [
      'create',
      'ingress',
      'site',
      '--class=nginx',
      '--rule=foo.com/=api:http,tls=foo-tls',
      '--rule=bar.com/api*=api:8080',
      '--default-backend=fallback:80',
      '--annotation=example.com/a=b',
    ],
  };

  for (const [name, args] of Object.entries(cases)) {
    await t.test(`kubectl create ${name}`, async () => {
      const [body, printed] = await Promise.all([capture(bench, args), dryRun(bench, args)]);
      const decoded = decodeProtobufRequest(body);
      assertJson(decoded, printed);
      assert.equal(
        hex(encodeProtobufObject(decoded)),
        hex(body),
        'decoded object encodes back to the same bytes',
      );
      assert.equal(
        hex(encodeProtobufObject(printed as Json)),
        hex(body),
        "kubectl's JSON encodes to its bytes",
      );
    });
  }

  await t.test('kubectl debug --copy-to: a whole Pod', async () => {
    bench.posted.length = 0;
    const result = await bench.run([
      'debug',
      'p1',
      '--copy-to=p1-debug',
      '--image=busybox',
      '--container=dbg',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const post = bench.posted.find((p) => p.path.startsWith('/api/v1/namespaces/default/pods'));
    assert.ok(post);
    assert.equal(post.contentType, 'application/vnd.kubernetes.protobuf');
    const decoded = decodeProtobufRequest(post.body);
    assert.equal(hex(encodeProtobufObject(decoded)), hex(post.body));
    // The copy keeps the spec (as kubectl read it) and adds the debug container; metadata and status are new.
    const jobFromCronJob = (await dryRun(bench, ['create', 'job', 'manual', '--from=cronjob/rich'])) as Json;
    const podSpec = (((jobFromCronJob['spec'] as Json)['template'] as Json)['spec'] as Json) ?? {};
    const containers = podSpec['containers'] as Json[];
    assertJson(decoded, {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'p1-debug', namespace: 'default', creationTimestamp: null },
      spec: {
        ...podSpec,
        containers: [
          ...containers,
          { name: 'dbg', image: 'busybox', resources: {}, terminationMessagePolicy: 'File' },
        ],
      },
      status: {},
    });
  });

  await t.test('kubectl create token (no --dry-run: checked against the TokenRequest by hand)', async () => {
    const full = await capture(bench, [
      'create',
      'token',
      'runner',
      '--duration=1h',
      '--audience=vault',
      '--audience=https://example.com',
      '--bound-object-kind=Pod',
      '--bound-object-name=p1',
      '--bound-object-uid=0c7e4f1a-2b3d-4c5e-8f90-a1b2c3d4e5f6',
    ]);
    assert.equal(bench.posted[0]?.path, '/api/v1/namespaces/default/serviceaccounts/runner/token');
    assertJson(decodeProtobufRequest(full), TOKEN_FULL);
    assert.equal(hex(encodeProtobufObject(TOKEN_FULL)), hex(full));

    const minimal = await capture(bench, ['create', 'token', 'runner']);
    const expected = {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      // Pointers and slices without omitempty: nil is null.
      spec: { audiences: null, expirationSeconds: null, boundObjectRef: null },
      status: { token: '', expirationTimestamp: null },
    };
    assertJson(decodeProtobufRequest(minimal), expected);
    assert.equal(hex(encodeProtobufObject(expected)), hex(minimal));
  });

  await t.test('kubectl create quota: a kind without a descriptor is refused, naming it', async () => {
    const body = await capture(bench, ['create', 'quota', 'q1', '--hard=cpu=1']);
    assertCodecError(
      () => decodeProtobufRequest(body),
      /^protobuf body of kind "ResourceQuota" \(v1\) is not supported by this server; send JSON$/,
    );
  });
});

// Bodies recorded from kubectl v1.32 (`kubectl create deployment d1 --image=nginx --replicas=3 --port=80 --
// cmd arg` and `kubectl create token sa1 --duration=1h --audience=a1 --audience=a2 --bound-object-kind=Pod
// --bound-object-name=p1 --bound-object-uid=uid1`), so that machines without kubectl still check them.
const RECORDED_DEPLOYMENT = Buffer.from(
  '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412be010a1d0a02643112001a0022002a003200380042005a090a03617070120264311' +
    '28e010803120b0a090a03617070120264311a750a1b0a0012001a0022002a003200380042005a090a0361707012026431125612380a056e67696e781205' +
    '6e67696e781a03636d641a036172672a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a00520058006000' +
    '68008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
  'hex',
);
const RECORDED_TOKEN = Buffer.from(
  '6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374123a0a100a0012001a0022002a0032' +
    '003800420012200a0261310a0261321a130a03506f64120276311a02703122047569643120901c1a040a0012001a002200',
  'hex',
);

test('bodies recorded from kubectl 1.32 decode and encode back byte for byte', () => {
  const deployment = {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'd1', creationTimestamp: null, labels: { app: 'd1' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'd1' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'd1' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx',
              command: ['cmd', 'arg'],
              ports: [{ containerPort: 80 }],
              resources: {},
            },
          ],
        },
      },
      strategy: {},
    },
    status: {},
  };
  assertJson(decodeProtobufRequest(RECORDED_DEPLOYMENT), deployment);
  assert.equal(hex(encodeProtobufObject(deployment)), hex(RECORDED_DEPLOYMENT));

  const token = {
    ...TOKEN_FULL,
    spec: {
      audiences: ['a1', 'a2'],
      expirationSeconds: 3600,
      boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1', uid: 'uid1' },
    },
  };
  assertJson(decodeProtobufRequest(RECORDED_TOKEN), token);
  assert.equal(hex(encodeProtobufObject(token)), hex(RECORDED_TOKEN));
});

// ---------------------------------------------------------------------------------------------------------
// Kinds kubectl never sends as protobuf: bodies assembled here from generated.proto's field numbers
// ---------------------------------------------------------------------------------------------------------

function roundTrips(object: Json): void {
  assertJson(decodeProtobufRequest(encodeProtobufObject(object)), object);
}

test('StatefulSet: spec with volumeClaimTemplates, update strategy, retention policy, ordinals; status', () => {
  const container = msg(
    1,
    'nginx',
    2,
    'nginx:1.27',
    6,
    msg(1, 'web', 3, 80),
    9,
    msg(1, 'www', 3, '/usr/share/nginx/html'),
  );
  const template = msg(1, msg(11, entry('app', 'web')), 2, msg(2, container));
  const claim = msg(
    1,
    msg(1, 'www'),
    2,
    msg(1, 'ReadWriteOnce', 2, msg(2, entry('storage', msg(1, '1Gi'))), 5, 'standard'),
  );
  const spec = msg(
    ...[1, 3, 2, msg(1, entry('app', 'web')), 3, template, 4, claim, 5, 'nginx', 6, 'Parallel'],
    ...[7, msg(1, 'RollingUpdate', 2, msg(1, 1, 2, intOrString('50%')))],
    ...[8, 5, 9, 10, 10, msg(1, 'Delete', 2, 'Retain'), 11, msg(1, 1)],
  );
  const status = msg(1, 2, 2, 3, 3, 3, 6, 'web-7d4b9c', 7, 'web-7d4b9c', 9, 0, 11, 3);
  const raw = msg(1, meta('web', 'default', { app: 'web' }), 2, spec, 3, status);
  const expected = {
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: null, labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'nginx',
              image: 'nginx:1.27',
              ports: [{ name: 'web', containerPort: 80 }],
              resources: {},
              volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'www', creationTimestamp: null },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '1Gi' } },
            storageClassName: 'standard',
          },
          status: {},
        },
      ],
      serviceName: 'nginx',
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: '50%' } },
      revisionHistoryLimit: 5,
      minReadySeconds: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      ordinals: { start: 1 },
    },
    // replicas and availableReplicas have no omitempty; collisionCount is a pointer, so 0 shows.
    status: {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 3,
      currentRevision: 'web-7d4b9c',
      updateRevision: 'web-7d4b9c',
      collisionCount: 0,
      availableReplicas: 3,
    },
  };
  assertJson(decodeProtobufRequest(envelope('apps/v1', 'StatefulSet', raw)), expected);
  roundTrips(expected);
  // An empty StatefulSet: the struct fields are there, the nil selector is null, serviceName is "".
  assertJson(decodeProtobufRequest(envelope('apps/v1', 'StatefulSet', Buffer.alloc(0))), {
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    metadata: { creationTimestamp: null },
    spec: {
      selector: null,
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      serviceName: '',
      updateStrategy: {},
    },
    status: { replicas: 0, availableReplicas: 0 },
  });
});

test('DaemonSet: matchExpressions, tolerations, rolling update with int and percent', () => {
  const podSpec = msg(
    ...[2, msg(1, 'fluentd', 2, 'fluentd:v1'), 11, true],
    ...[22, msg(1, 'node-role.kubernetes.io/control-plane', 2, 'Exists', 4, 'NoSchedule')],
  );
  const spec = msg(
    ...[1, msg(2, msg(1, 'app', 2, 'In', 3, 'fluentd')), 2, msg(2, podSpec)],
    ...[3, msg(1, 'RollingUpdate', 2, msg(1, intOrString(1), 2, intOrString('10%'))), 4, 0, 6, 10],
  );
  const status = msg(1, 2, 2, 0, 3, 2, 4, 1, 5, 1, 7, 1, 8, 1);
  const raw = msg(1, meta('fluentd', 'kube-system'), 2, spec, 3, status);
  const expected = {
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    metadata: { name: 'fluentd', namespace: 'kube-system', creationTimestamp: null },
    spec: {
      selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['fluentd'] }] },
      template: {
        metadata: { creationTimestamp: null },
        spec: {
          containers: [{ name: 'fluentd', image: 'fluentd:v1', resources: {} }],
          hostNetwork: true,
          tolerations: [
            { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
          ],
        },
      },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '10%' } },
      revisionHistoryLimit: 10,
    },
    status: {
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 1,
      observedGeneration: 1,
      numberAvailable: 1,
      numberUnavailable: 1,
    },
  };
  assertJson(decodeProtobufRequest(envelope('apps/v1', 'DaemonSet', raw)), expected);
  roundTrips(expected);
});

test('NetworkPolicy: peers, ipBlock, named and numbered ports, endPort, policyTypes', () => {
  const ingress = msg(
    ...[1, msg(1, 'TCP', 2, intOrString(5432))],
    ...[2, msg(1, msg(1, entry('role', 'api')), 2, msg(1, entry('team', 'x')))],
    ...[2, msg(3, msg(1, '10.0.0.0/8', 2, '10.1.0.0/16'))],
  );
  const egress = msg(1, msg(1, 'UDP', 2, intOrString('dns')), 1, msg(2, intOrString(30000), 3, 32767));
  const spec = msg(1, msg(1, entry('role', 'db')), 2, ingress, 3, egress, 4, 'Ingress', 4, 'Egress');
  const raw = msg(1, meta('allow-db', 'prod'), 2, spec);
  const expected = {
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    metadata: { name: 'allow-db', namespace: 'prod', creationTimestamp: null },
    spec: {
      podSelector: { matchLabels: { role: 'db' } },
      ingress: [
        {
          ports: [{ protocol: 'TCP', port: 5432 }],
          from: [
            {
              podSelector: { matchLabels: { role: 'api' } },
              namespaceSelector: { matchLabels: { team: 'x' } },
            },
            { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
          ],
        },
      ],
      egress: [
        {
          ports: [
            { protocol: 'UDP', port: 'dns' },
            { port: 30000, endPort: 32767 },
          ],
        },
      ],
      policyTypes: ['Ingress', 'Egress'],
    },
  };
  assertJson(decodeProtobufRequest(envelope('networking.k8s.io/v1', 'NetworkPolicy', raw)), expected);
  roundTrips(expected);
  // The deny-all policy: an empty podSelector is still written.
  assertJson(decodeProtobufRequest(envelope('networking.k8s.io/v1', 'NetworkPolicy', msg(1, meta('deny')))), {
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    metadata: { name: 'deny', creationTimestamp: null },
    spec: { podSelector: {} },
  });
});

test('Lease: MicroTime to the microsecond (truncated), pointers', () => {
  const spec = msg(1, 'node-1', 2, 15, 3, time(1700000000, 123456789), 4, time(1700000015), 5, 0);
  const raw = msg(1, meta('leader', 'kube-system'), 2, spec);
  const expected = {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    metadata: { name: 'leader', namespace: 'kube-system', creationTimestamp: null },
    spec: {
      holderIdentity: 'node-1',
      leaseDurationSeconds: 15,
      acquireTime: '2023-11-14T22:13:20.123456Z',
      renewTime: '2023-11-14T22:13:35.000000Z',
      leaseTransitions: 0,
    },
  };
  assertJson(decodeProtobufRequest(envelope('coordination.k8s.io/v1', 'Lease', raw)), expected);
  roundTrips(expected);
  // Encoding keeps microseconds as nanos; the zero MicroTime is a zero-length message.
  assert.ok(hex(encodeProtobufObject(expected)).includes(hex(msg(3, time(1700000000, 123456000)))));
  const withZero = { ...expected, spec: { renewTime: '0001-01-01T00:00:00.000000Z' } };
  assert.ok(hex(encodeProtobufObject(withZero)).endsWith('12022200' + '1a002200'));
  assertJson(decodeProtobufRequest(encodeProtobufObject(withZero))['spec'], { renewTime: null });
});

test('Event (core/v1): involvedObject, source, Time and MicroTime, series, fields without omitempty', () => {
  const involved = msg(
    1,
    'Pod',
    2,
    'default',
    3,
    'pod1',
    4,
    'uid-1',
    5,
    'v1',
    6,
    '42',
    7,
    'spec.containers{main}',
  );
  const raw = msg(
    ...[1, meta('pod1.17a8', 'default'), 2, involved, 3, 'Pulled', 4, 'Successfully pulled image'],
    ...[5, msg(1, 'kubelet', 2, 'node-1'), 6, time(1700000000), 7, time(1700000100), 8, 3, 9, 'Normal'],
    ...[10, Buffer.alloc(0), 11, msg(1, 2, 2, time(1700000100, 5000)), 12, 'Pulling'],
    ...[14, 'kubelet', 15, 'node-1'],
  );
  const expected = {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: { name: 'pod1.17a8', namespace: 'default', creationTimestamp: null },
    involvedObject: {
      kind: 'Pod',
      namespace: 'default',
      name: 'pod1',
      uid: 'uid-1',
      apiVersion: 'v1',
      resourceVersion: '42',
      fieldPath: 'spec.containers{main}',
    },
    reason: 'Pulled',
    message: 'Successfully pulled image',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2023-11-14T22:13:20Z',
    lastTimestamp: '2023-11-14T22:15:00Z',
    count: 3,
    type: 'Normal',
    eventTime: null,
    series: { count: 2, lastObservedTime: '2023-11-14T22:15:00.000005Z' },
    action: 'Pulling',
    reportingComponent: 'kubelet',
    reportingInstance: 'node-1',
  };
  assertJson(decodeProtobufRequest(envelope('v1', 'Event', raw)), expected);
  roundTrips(expected);
  assertJson(decodeProtobufRequest(envelope('v1', 'Event', Buffer.alloc(0))), {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: { creationTimestamp: null },
    involvedObject: {},
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    eventTime: null,
    reportingComponent: '',
    reportingInstance: '',
  });
});

test('Pod with a status: conditions, IPs, container states', () => {
  const containerStatus = msg(
    ...[1, 'c', 2, msg(2, msg(1, time(1700000005)))],
    ...[3, msg(3, msg(1, 137, 3, 'OOMKilled', 6, time(1699999990)))],
    ...[4, true, 5, 2, 6, 'app:2', 7, 'sha256:abc', 8, 'containerd://1', 9, true],
  );
  const status = msg(
    ...[1, 'Running', 2, msg(1, 'Ready', 2, 'True', 4, time(1700000010))],
    ...[5, '10.0.0.5', 6, '10.1.2.3', 12, msg(1, '10.1.2.3'), 7, time(1700000000)],
    ...[8, containerStatus, 9, 'Burstable'],
  );
  const raw = msg(1, meta('p', 'default'), 2, msg(2, msg(1, 'c')), 3, status);
  const expected = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: null },
    spec: { containers: [{ name: 'c', resources: {} }] },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2023-11-14T22:13:30Z' },
      ],
      hostIP: '10.0.0.5',
      podIP: '10.1.2.3',
      podIPs: [{ ip: '10.1.2.3' }],
      startTime: '2023-11-14T22:13:20Z',
      containerStatuses: [
        {
          name: 'c',
          state: { running: { startedAt: '2023-11-14T22:13:25Z' } },
          lastState: {
            terminated: {
              exitCode: 137,
              reason: 'OOMKilled',
              startedAt: null,
              finishedAt: '2023-11-14T22:13:10Z',
            },
          },
          ready: true,
          restartCount: 2,
          image: 'app:2',
          imageID: 'sha256:abc',
          containerID: 'containerd://1',
          started: true,
        },
      ],
      qosClass: 'Burstable',
    },
  };
  assertJson(decodeProtobufRequest(envelope('v1', 'Pod', raw)), expected);
  roundTrips(expected);
});

test('every kind: the empty object decodes to what Go writes for the zero value, and encodes back', () => {
  const zero: Record<string, Json> = {
    'v1/Namespace': { spec: {}, status: {} },
    'v1/ServiceAccount': {},
    'v1/Service': { spec: {}, status: { loadBalancer: {} } },
    'v1/Pod': { spec: { containers: null }, status: {} },
    'rbac.authorization.k8s.io/v1/Role': { rules: null },
    'rbac.authorization.k8s.io/v1/ClusterRole': { rules: null },
    'rbac.authorization.k8s.io/v1/RoleBinding': { roleRef: { apiGroup: '', kind: '', name: '' } },
    'apps/v1/Deployment': {
      spec: {
        selector: null,
        template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
        strategy: {},
      },
      status: {},
    },
    'batch/v1/CronJob': {
      spec: {
        schedule: '',
        jobTemplate: {
          metadata: { creationTimestamp: null },
          spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: null } } },
        },
      },
      status: {},
    },
    'networking.k8s.io/v1/Ingress': { spec: {}, status: { loadBalancer: {} } },
    'coordination.k8s.io/v1/Lease': { spec: {} },
  };
  for (const [type, rest] of Object.entries(zero)) {
    const at = type.lastIndexOf('/');
    const [apiVersion, kind] = [type.slice(0, at), type.slice(at + 1)];
    const expected = { kind, apiVersion, metadata: { creationTimestamp: null }, ...rest };
    assertJson(decodeProtobufRequest(envelope(apiVersion, kind, Buffer.alloc(0))), expected);
    assertJson(decodeProtobufRequest(encodeProtobufObject(expected)), expected);
  }
  assert.deepEqual([...PROTOBUF_REQUEST_KINDS].sort(), [
    'apps/v1/DaemonSet',
    'apps/v1/Deployment',
    'apps/v1/StatefulSet',
    'authentication.k8s.io/v1/SelfSubjectReview',
    'authentication.k8s.io/v1/TokenRequest',
    'authentication.k8s.io/v1/TokenReview',
    'authorization.k8s.io/v1/LocalSubjectAccessReview',
    'authorization.k8s.io/v1/SelfSubjectAccessReview',
    'authorization.k8s.io/v1/SelfSubjectRulesReview',
    'authorization.k8s.io/v1/SubjectAccessReview',
    'batch/v1/CronJob',
    'batch/v1/Job',
    'coordination.k8s.io/v1/Lease',
    'networking.k8s.io/v1/Ingress',
    'networking.k8s.io/v1/NetworkPolicy',
    'rbac.authorization.k8s.io/v1/ClusterRole',
    'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
    'rbac.authorization.k8s.io/v1/Role',
    'rbac.authorization.k8s.io/v1/RoleBinding',
    'v1/ConfigMap',
    'v1/Event',
    'v1/Namespace',
    'v1/Pod',
    'v1/Secret',
    'v1/Service',
    'v1/ServiceAccount',
  ]);
});

test('the descriptor tables are consistent', () => {
  const messages = registeredMessages();
  assert.ok(messages.length > 100);
  for (const descriptor of messages) {
    const numbers = new Set<number>();
    const jsonNames = new Set<string>();
    const collect = (d: typeof descriptor): void => {
      for (const field of d.fields) {
        if (field.inline) {
          assert.ok(!SCALARS.has(field.type) && !field.pointer && !field.repeated && !field.map, field.name);
          collect(resolve(field.type));
        } else {
          assert.ok(!jsonNames.has(field.name), `${descriptor.name}: JSON name ${field.name} twice`);
          jsonNames.add(field.name);
        }
      }
    };
    collect(descriptor);
    for (const field of descriptor.fields) {
      assert.ok(Number.isInteger(field.number) && field.number > 0, `${descriptor.name}.${field.name}`);
      assert.ok(!numbers.has(field.number), `${descriptor.name}: field ${field.number} twice`);
      numbers.add(field.number);
      if (!SCALARS.has(field.type)) resolve(field.type); // throws for a missing message
      assert.ok(!(field.repeated && field.map), `${descriptor.name}.${field.name}`);
      assert.ok(!(field.pointer && (field.repeated || field.map)), `${descriptor.name}.${field.name}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// The wire decoder
// ---------------------------------------------------------------------------------------------------------

test('varints: one to ten bytes, int64 and int32 sign extension, bits past 64', () => {
  const read = (bytes: string): bigint => {
    const buf = Buffer.from(`08${bytes}`, 'hex');
    const reader = new Reader(buf, 0, buf.length, 'M');
    const field = reader.next();
    assert.ok(field);
    return reader.int64(field, 'f');
  };
  assert.equal(read('00'), 0n);
  assert.equal(read('7f'), 127n);
  assert.equal(read('ac02'), 300n);
  assert.equal(read('ffffffff0f'), 0xffffffffn);
  assert.equal(read('ffffffffffffffff7f'), 0x7fffffffffffffffn);
  assert.equal(read('ffffffffffffffffff01'), -1n);
  assert.equal(read('80808080808080808001'), -(2n ** 63n));
  // An eleventh byte overflows; a varint cut short is truncated.
  assertCodecError(() => read('ffffffffffffffffffff01'), /^protobuf M: varint at byte 1 overflows 64 bits$/);
  assertCodecError(() => read('ff'), /^protobuf M: truncated varint at byte 1$/);

  const writer = new Writer();
  writer.int64(1, -1);
  writer.int64(2, 300);
  writer.int64(3, 2n ** 63n - 1n);
  assert.equal(hex(writer.finish()), '08ffffffffffffffffff01' + '10ac02' + '18ffffffffffffffff7f');

  // int32 fields: a negative value is sign-extended to ten bytes, and only the low 32 bits are read back.
  const spec = { replicas: -1, minReadySeconds: 2147483647, revisionHistoryLimit: -2147483648 };
  const encoded = encodeProtobufObject({ kind: 'Deployment', apiVersion: 'apps/v1', spec });
  assert.ok(hex(encoded).includes('08ffffffffffffffffff01'));
  const decoded = decodeProtobufRequest(encoded);
  assert.deepEqual(
    Object.fromEntries(Object.entries(decoded['spec'] as Json).filter(([key]) => key in spec)),
    spec,
  );
  // A 64-bit varint in an int32 field keeps its low 32 bits, as gogo's `int32(...)` does.
  const wide = envelope('apps/v1', 'Deployment', msg(2, msg(1, 2n ** 32n + 5n)));
  assert.equal((decodeProtobufRequest(wide)['spec'] as Json)['replicas'], 5);
  assertCodecError(
    () => encodeProtobufObject({ kind: 'Deployment', apiVersion: 'apps/v1', spec: { replicas: 2 ** 31 } }),
    /^spec\.replicas: the integer is out of range$/,
  );
});

test('repeated scalars are read packed or unpacked (and mixed); strings and messages repeat unpacked', () => {
  // PodSecurityContext.supplementalGroups: repeated int64, field 4.
  const groups = (securityContext: string): unknown => {
    const pod = envelope('v1', 'Pod', msg(2, msg(14, Buffer.from(securityContext, 'hex'))));
    return ((decodeProtobufRequest(pod)['spec'] as Json)['securityContext'] as Json)['supplementalGroups'];
  };
  assert.deepEqual(groups('200120ac02'), [1, 300]);
  assert.deepEqual(groups('220301ac02'), [1, 300]);
  assert.deepEqual(groups('2001220202032004'), [1, 2, 3, 4]);
  assert.deepEqual(groups('2200'), undefined); // an empty packed run; the field has omitempty
  assertCodecError(
    () => groups('2202ff'),
    /^protobuf Pod\.spec\.securityContext: length at byte \d+ runs past the end of the message/,
  );
  assertCodecError(
    () => groups('2201ff'),
    /^protobuf Pod\.spec\.securityContext\.supplementalGroups: truncated varint at byte \d+$/,
  );
  // PodFailurePolicyOnExitCodesRequirement.values: repeated int32, field 3, without omitempty.
  const exitCodes = (values: string): unknown => {
    const onExitCodes = Buffer.concat([msg(2, 'In'), Buffer.from(values, 'hex')]);
    const job = envelope('batch/v1', 'Job', msg(2, msg(11, msg(1, msg(1, 'FailJob', 2, onExitCodes)))));
    const spec = decodeProtobufRequest(job)['spec'] as Json;
    return (spec['podFailurePolicy'] as { rules: { onExitCodes: Json }[] }).rules[0]?.onExitCodes['values'];
  };
  assert.deepEqual(exitCodes('1a02012a'), [1, 42]);
  assert.deepEqual(exitCodes('1801182a'), [1, 42]);
  assert.deepEqual(exitCodes(''), null);
  // A string field sent as a varint is an error, not a silent skip.
  assertCodecError(
    () => decodeProtobufRequest(envelope('v1', 'Namespace', msg(2, msg(1, 5)))),
    /^protobuf Namespace\.spec: wrong wire type 0 for field finalizers \(1\), expected 2$/,
  );
});

test('unknown fields of every wire type are skipped at every level', () => {
  const unknown = Buffer.from(
    [
      'f807 2a', // field 127, varint
      '8a08 03 616263', // field 129, bytes
      '9108 0102030405060708', // field 130, fixed64
      '9d08 01020304', // field 131, fixed32
      'a308 7805 ab08 0a00 ac08 a408', // field 132, a group holding a varint and a nested group
    ]
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );
  const surrounded = (message: Buffer): Buffer => Buffer.concat([unknown, message, unknown]);
  // The unknown fields inside the container's field 8 make an empty ResourceRequirements.
  const container = surrounded(msg(1, 'c', 8, unknown));
  const template = msg(2, surrounded(msg(2, container)));
  const raw = msg(1, surrounded(meta('d')), 2, surrounded(msg(1, 2, 3, template)), 99, unknown);
  const bytes = Buffer.concat([envelope('apps/v1', 'Deployment', raw), unknown]);
  assertJson(decodeProtobufRequest(bytes), {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'd', creationTimestamp: null },
    spec: {
      replicas: 2,
      selector: null,
      template: {
        metadata: { creationTimestamp: null },
        spec: { containers: [{ name: 'c', resources: {} }] },
      },
      strategy: {},
    },
    status: {},
  });
});

test('a repeated singular message is merged; Time and Quantity are replaced; a later scalar wins', () => {
  const raw = msg(
    ...[2, msg(1, 1, 2, msg(1, entry('a', '1')))],
    ...[2, msg(1, 4, 2, msg(1, entry('b', '2')), 4, msg(1, 'Recreate'))],
    ...[1, msg(8, time(1700000000))],
    ...[1, msg(8, Buffer.alloc(0))], // a zero-length Time replaces the earlier one: the zero time
  );
  assertJson(decodeProtobufRequest(envelope('apps/v1', 'Deployment', raw)), {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { creationTimestamp: null },
    spec: {
      replicas: 4,
      selector: { matchLabels: { a: '1', b: '2' } },
      template: { metadata: { creationTimestamp: null }, spec: { containers: null } },
      strategy: { type: 'Recreate' },
    },
    status: {},
  });
  const limits = (...entries: Buffer[]): unknown => {
    const resources = Buffer.concat(entries.map((e) => msg(1, e)));
    const pod = decodeProtobufRequest(envelope('v1', 'Pod', msg(2, msg(2, msg(1, 'c', 8, resources)))));
    return ((pod['spec'] as { containers: Json[] }).containers[0]?.['resources'] as Json)['limits'];
  };
  // A map entry without a value is the zero Quantity; a repeated key keeps the last value.
  assert.deepEqual(limits(entry('cpu', msg(1, '1')), msg(1, 'memory'), entry('cpu', msg(1, '250m'))), {
    cpu: '250m',
    memory: '0',
  });
  assertCodecError(
    () => limits(entry('cpu', msg(1, 'lots-SECRET'))),
    /^spec\.containers\[0\]\.resources\.limits\["cpu"\] is not a valid quantity$/,
    'SECRET',
  );
});

test('truncated bodies are errors at every cut, never a partial object', () => {
  const body = RECORDED_DEPLOYMENT;
  const afterTypeMeta = 4 + 2 + 0x15;
  for (let cut = 5; cut < body.length - 4; cut++) {
    if (cut === afterTypeMeta) continue; // the envelope's fields are optional: a body without raw is valid
    assertCodecError(() => decodeProtobufRequest(body.subarray(0, cut)), /truncated|past the end/);
  }
});

test('malformed bodies and refused kinds give one-line errors without the data', () => {
  const marker = 'TOPSECRETVALUE';
  assertCodecError(() => decodeProtobufRequest(new Uint8Array()), /^cannot decode an empty protobuf body$/);
  assertCodecError(
    () => decodeProtobufRequest(Buffer.from(`{"kind":"Secret","data":"${marker}"}`)),
    /does not start with the magic/,
    marker,
  );
  // Secret values in strings, bytes and fieldsV1 never reach the messages.
  const secret = (raw: Buffer): Buffer => envelope('v1', 'Secret', raw);
  assertCodecError(
    () => decodeProtobufRequest(secret(msg(2, msg(1, marker, 2, 5)))),
    /^protobuf Secret\.data: wrong wire type 0 for field value \(2\), expected 2$/,
    marker,
  );
  assertCodecError(
    () => decodeProtobufRequest(secret(msg(1, msg(17, msg(7, msg(1, `{${marker}`)))))),
    /^metadata\.managedFields\[0\]\.fieldsV1 is not valid JSON$/,
    marker,
  );
  assertCodecError(
    () => decodeProtobufRequest(secret(msg(1, msg(7, 2n ** 60n)))),
    /^metadata\.generation is outside the integers JSON numbers hold exactly$/,
  );
  assertCodecError(
    () => decodeProtobufRequest(envelope('v1', 'Service', msg(2, msg(1, msg(4, msg(1, 7, 3, marker)))))),
    /^spec\.ports\[0\]\.targetPort is an IntOrString of unknown type$/,
    marker,
  );
  // Kinds without a descriptor; names that do not look like names are not shown.
  assertCodecError(
    () => decodeProtobufRequest(envelope('apps/v1', 'Foo', Buffer.alloc(0))),
    /^protobuf body of kind "Foo" \(apps\/v1\) is not supported by this server; send JSON$/,
  );
  assertCodecError(
    () => decodeProtobufRequest(envelope('v2', 'Secret', Buffer.alloc(0))),
    /^protobuf body of kind "Secret" \(v2\) is not supported/,
  );
  assertCodecError(
    () => decodeProtobufRequest(envelope(`v1 ${marker}`, `Secret\n${marker}`, Buffer.alloc(0))),
    /^protobuf body of kind an unreadable value \(an unreadable apiVersion\) is not supported/,
    marker,
  );
  assertCodecError(
    () => decodeProtobufRequest(envelope('', '', Buffer.alloc(0))),
    /^protobuf body of no kind is not supported/,
  );
  // Encoding refuses kinds it has no descriptor for, and values of the wrong type.
  assertCodecError(() => encodeProtobufObject({ kind: 'Foo', apiVersion: 'v1' }), /kind "Foo"/);
  assertCodecError(
    () =>
      encodeProtobufObject({
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        spec: { template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'eighty' }] }] } } },
      }),
    /^spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containerPort: expected an integer$/,
  );
  assertCodecError(
    () =>
      encodeProtobufObject({
        kind: 'Service',
        apiVersion: 'v1',
        spec: { ports: [{ port: 80, targetPort: true }] },
      }),
    /^spec\.ports\[0\]\.targetPort: expected an integer or a string$/,
  );
  assertCodecError(
    () =>
      encodeProtobufObject({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', spec: { renewTime: 5 } }),
    /^spec\.renewTime: expected an RFC 3339 time string$/,
  );
});
