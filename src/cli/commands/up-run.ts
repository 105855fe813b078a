/**
 * Runs `cloak up` (see up.ts): the local control plane, Cloak's CRDs and the SealedSecret operator in one
 * process. In order: flags checked; the API address checked free (before anything is written); the data
 * directory, storage and control plane; the kubeconfig; the CRDs, created or updated, and waited for until
 * served; the operator with leader election, advertised at 127.0.0.1 so that the service proxy reaches it;
 * its certificate fetched through that proxy (the path kubectl, kubeseal and `cloak seal` take); the example
 * SealedSecret sealed with it; then the summary.
 *
 * SIGINT/SIGTERM: the operator drains its in-flight reconciles and releases its lease, the control plane
 * closes, exit 0. A second signal exits at once.
 */
import { createServer } from 'node:net';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type DestinationStream, type Level } from 'pino';
import { writeFileAtomic } from '../../common/atomic-file.ts';
import { CloakError, UsageError, errorMessage } from '../../common/errors.ts';
import { startControlPlane, type ControlPlane } from '../../apiserver/control-plane.ts';
import { adminKubeconfig, prepareDataDir, writeKubeconfig } from '../../apiserver/data-dir.ts';
import { isLoopbackAddress } from '../../apiserver/ip.ts';
import { TokenAuthority } from '../../apiserver/server/tokens.ts';
import { DEFAULT_COMPACTION_POLICY, openSqliteStorage } from '../../apiserver/storage/sqlite.ts';
import type { Secret } from '../../kube/objects.ts';
import { parseManifests } from '../../manifests/decode.ts';
import { toKubeYaml } from '../../manifests/encode.ts';
import { ApiClient, isNotFound } from '../../operator/runtime/api-client.ts';
import { createLogger, type Logger } from '../../operator/runtime/logger.ts';
import type { KubeObject, ResourceType } from '../../operator/runtime/resource.ts';
import { SEALED_SECRETS, sealedSecretsCrd } from '../../operator/sealed-secrets/crd.ts';
import { DEFAULT_CONTROLLER_NAME, DEFAULT_CONTROLLER_NAMESPACE } from '../../sealing/constants.ts';
import { fetchCertificate } from '../../sealing/controller-client.ts';
import { parseSealingCertificate, type SealingCertificate } from '../../sealing/keys.ts';
import { prepareSecret, sealSecret, SEALING_KEY_ANNOTATION } from '../../sealing/sealed-secret.ts';
import { parseListen } from './dev-run.ts';
import { listen, operatorSettings, runWithSettings, type OperatorSettings } from './operator-run.ts';
import { operatorFlagDefaults } from './operator.ts';
import type { UpFlags } from './up.ts';

const CRDS: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

/** The CRDs `cloak up` installs: every kind Cloak's operator serves. */
function cloakCrds(): { crd: KubeObject; served: ResourceType }[] {
  return [{ crd: sealedSecretsCrd() as unknown as KubeObject, served: SEALED_SECRETS }];
}

/**
 * The operator's client-side limit. Upstream's 5 qps (and `cloak operator`'s 50) protect a shared
 * kube-apiserver; here the API server is this process, and every SealedSecret costs about four requests
 * (read the Secret, write it, the status, an Event), so 50 qps would make the API the bottleneck, not RSA.
 */
const LOCAL_QPS = '1000';
const LOCAL_BURST = '2000';
/**
 * SealedSecrets reconciled at once. A reconcile mostly waits for the API server, and only its unsealing needs the
 * pool's threads: with `cloak operator`'s 4 the pool waits more (1,000 SealedSecrets sync 10–25% faster with 32).
 */
const UP_WORKERS = '32';

export const EXAMPLE_FILE = 'hello-sealedsecret.yaml';
const EXAMPLE_SECRET = { namespace: 'default', name: 'hello' };
/** Demonstration values (not secret): what `kubectl get secret hello` shows once the controller unsealed it. */
export const EXAMPLE_VALUES: Readonly<Record<string, string>> = {
  message: 'Hello from Cloak: unsealed by the local controller',
  username: 'demo',
};

export async function runUp(flags: UpFlags): Promise<void> {
  const { host, port } = parseListen(flags.listen);
  const operator = flags.operator ? upOperatorSettings(flags) : undefined;
  const dataDir = resolve(flags.dataDir);
  const kubeconfigPath = resolve(flags.kubeconfigOut ?? join(dataDir, 'kubeconfig'));
  const interrupts = new Interrupts();
  try {
    await ensureFree(host, port);
    const report = (error: unknown, where: string): void => {
      process.stderr.write(`cloak up: ${where}: ${errorMessage(error)}\n`);
    };
    const material = await prepareDataDir(dataDir, [host], new Date());
    const storage = await openSqliteStorage({ path: join(dataDir, 'state.db') });
    let controlPlane: ControlPlane;
    try {
      controlPlane = await startControlPlane({
        storage,
        tokens: new TokenAuthority(material.adminToken, material.signingKey),
        tls: material.serving,
        host,
        port,
        compaction: {
          intervalMs: 5 * 60_000,
          policy: { ...DEFAULT_COMPACTION_POLICY, keepMillis: 5 * 60_000 },
        },
        report,
      });
    } catch (error) {
      await storage.close();
      throw listenError(error, host, port);
    }
    try {
      await writeKubeconfig(
        kubeconfigPath,
        adminKubeconfig({
          server: controlPlane.url,
          caPem: material.ca.certificatePem,
          token: material.adminToken,
        }),
      );
      // The operator runs in this process: its requests reach the API server in memory (loopback.ts).
      const client = await ApiClient.connect(
        { kubeconfig: kubeconfigPath },
        {
          qps: operator?.qps ?? 50,
          burst: operator?.burst ?? 100,
          transport: { agent: controlPlane.loopbackAgent },
        },
      );
      await installCrds(client, interrupts.signal);
      const place = { url: controlPlane.url, dataDir, kubeconfigPath };
      if (!operator) {
        if (!interrupts.signal.aborted) process.stdout.write(summary(place, undefined));
        await interrupts.stopped;
        return;
      }
      if (interrupts.signal.aborted) return;
      process.exitCode = await runOperator(operator, client, place, interrupts);
    } finally {
      await controlPlane.close();
      process.stderr.write('cloak up: stopped\n');
    }
  } finally {
    interrupts.dispose();
  }
}

/** The operator's settings: `cloak operator`'s defaults, with leader election, advertised on loopback. */
function upOperatorSettings(flags: UpFlags): OperatorSettings {
  const controller = listen(flags.controllerListen, '--controller-listen');
  listen(flags.metricsListen, '--metrics-listen');
  const advertise = controller.host === '' || controller.host === '0.0.0.0' ? '127.0.0.1' : controller.host;
  if (advertise === '::') throw new UsageError('--controller-listen: use 127.0.0.1 or ::1, not ::');
  if (!isLoopbackAddress(advertise))
    throw new UsageError(
      `--controller-listen must be a loopback address (the API server proxies only to those), not "${controller.host}"`,
    );
  return operatorSettings(
    {
      ...operatorFlagDefaults(),
      namespace: DEFAULT_CONTROLLER_NAMESPACE,
      listenAddr: flags.controllerListen,
      listenMetricsAddr: flags.metricsListen,
      leaderElect: true,
      advertiseAddress: advertise,
      kubeclientQps: LOCAL_QPS,
      kubeclientBurst: LOCAL_BURST,
      workers: UP_WORKERS,
      logLevel: flags.logLevel,
      ...(flags.unsealWorkers === undefined ? {} : { unsealWorkers: flags.unsealWorkers }),
    },
    {},
  );
}

interface Place {
  url: string;
  dataDir: string;
  kubeconfigPath: string;
}

interface Ready {
  certUrl: string;
  metricsUrl: string;
  logPath: string;
  example: { path: string; created: boolean; fingerprint: string };
}

/** Runs the operator until the interrupt; prints the summary once its certificate comes through the proxy. */
async function runOperator(
  settings: OperatorSettings,
  client: ApiClient,
  place: Place,
  interrupts: Interrupts,
): Promise<number> {
  const log = await openOperatorLog(place.dataDir, settings.logLevel);
  try {
    let serving: (urls: { http: string; metrics: string }) => void = () => undefined;
    const urls = new Promise<{ http: string; metrics: string }>((resolve) => (serving = resolve));
    const running = runWithSettings(settings, client, log.logger, {
      stop: interrupts.signal,
      started: serving,
    });
    const announced = urls
      .then(async ({ metrics }) => {
        const certificate = await waitForCertificate(client, interrupts.signal);
        if (!certificate) return;
        const example = await ensureExample(place.dataDir, certificate);
        process.stdout.write(
          summary(place, {
            certUrl: `${place.url}${certificatePath()}`,
            metricsUrl: `${metrics}/metrics`,
            logPath: log.path,
            example,
          }),
        );
      })
      .catch((error: unknown) => process.stderr.write(`cloak up: ${errorMessage(error)}\n`));
    const code = await running;
    await announced;
    return code;
  } finally {
    log.close();
  }
}

/** Refuses an address in use before anything is written, with the way out. */
async function ensureFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  }).catch((error: unknown) => {
    throw listenError(error, host, port);
  });
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE')
    return new CloakError(
      'ERR_LISTEN',
      `${address} is already in use (another cloak up or cloak dev cluster?): stop it, or choose a free port with --listen 127.0.0.1:0`,
    );
  if (code === 'EADDRNOTAVAIL')
    return new CloakError('ERR_LISTEN', `cannot listen on ${address}: not an address of this machine`);
  if (code === 'EACCES')
    return new CloakError(
      'ERR_LISTEN',
      `cannot listen on ${address}: permission denied (ports below 1024 need privileges; try --listen 127.0.0.1:0)`,
    );
  return error;
}

/** Creates each CRD, or brings its spec up to date; then waits until its resource is served. */
async function installCrds(client: ApiClient, stop: AbortSignal): Promise<void> {
  for (const { crd, served } of cloakCrds()) {
    const name = crd.metadata.name ?? '';
    const existing = await client.find(CRDS, undefined, name);
    if (!existing) await client.create(CRDS, crd);
    else await client.patch(CRDS, undefined, name, { spec: crd['spec'] }, 'merge');
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (stop.aborted) return;
      try {
        await client.list(served, { limit: 1 });
        break;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      if (Date.now() > deadline)
        throw new CloakError('ERR_CRD', `the CustomResourceDefinition ${name} was not served within 15 s`);
      await sleep(50);
    }
  }
}

/** Where kubeseal finds the certificate: the controller's /v1/cert.pem through the API server's proxy. */
function certificatePath(): string {
  return (
    `/api/v1/namespaces/${DEFAULT_CONTROLLER_NAMESPACE}/services/` +
    `http:${DEFAULT_CONTROLLER_NAME}:http/proxy/v1/cert.pem`
  );
}

/**
 * The controller's certificate as kubeseal gets it. It comes once the operator leads (the key is generated and
 * the Service advertised by the leader): at once, or after the lease of a run that did not stop cleanly expires.
 */
async function waitForCertificate(
  client: ApiClient,
  stop: AbortSignal,
): Promise<SealingCertificate | undefined> {
  const started = Date.now();
  let told = 0;
  let lastError: string;
  while (!stop.aborted) {
    try {
      const pem = await fetchCertificate(client.config, {
        namespace: DEFAULT_CONTROLLER_NAMESPACE,
        name: DEFAULT_CONTROLLER_NAME,
        timeoutMs: 5_000,
      });
      return parseSealingCertificate(pem, 'the controller’s certificate', new Date());
    } catch (error) {
      lastError = errorMessage(error);
    }
    const waited = Date.now() - started;
    if (told === 0 && waited > 3_000) {
      told = 1;
      process.stderr.write(
        'cloak up: waiting for the controller to lead (a run that did not stop cleanly holds the lease for up to 15 s)\n',
      );
    } else if (told === 1 && waited > 30_000) {
      told = 2;
      process.stderr.write(`cloak up: the controller is not reachable yet: ${lastError}\n`);
    }
    await sleep(100);
  }
  return undefined;
}

/**
 * The example SealedSecret in <data-dir>/examples/: kept when it was sealed for this certificate's key,
 * sealed (again) otherwise. It holds no key, and only this data directory's controller can open it.
 */
async function ensureExample(
  dataDir: string,
  certificate: SealingCertificate,
): Promise<{ path: string; created: boolean; fingerprint: string }> {
  const path = join(dataDir, 'examples', EXAMPLE_FILE);
  const fingerprint = certificate.fingerprint;
  try {
    const [existing] = parseManifests(await readFile(path, 'utf8'), path);
    const metadata = existing?.['metadata'] as { annotations?: Record<string, string> } | undefined;
    if (metadata?.annotations?.[SEALING_KEY_ANNOTATION] === fingerprint)
      return { path, created: false, fingerprint };
  } catch {
    // Missing or unreadable: sealed afresh below.
  }
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...EXAMPLE_SECRET },
    type: 'Opaque',
    stringData: { ...EXAMPLE_VALUES },
  };
  const sealed = sealSecret(prepareSecret(secret, {}, path), certificate, path);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(
    path,
    '# An example SealedSecret, sealed by `cloak up` for the key of the controller in this data directory.\n' +
      '# Only that controller can unseal it. Apply it, then read what the controller made of it:\n' +
      `#   kubectl get secret ${EXAMPLE_SECRET.name} -n ${EXAMPLE_SECRET.namespace} -o jsonpath='{.data.message}' | base64 -d\n` +
      toKubeYaml(sealed),
  );
  return { path, created: true, fingerprint };
}

function summary(place: Place, ready: Ready | undefined): string {
  const kubeconfig = shown(place.kubeconfigPath);
  const lines = [
    '',
    `Cloak is up: API server ${place.url}, data in ${shown(place.dataDir)}`,
    `  kubeconfig    ${kubeconfig}`,
    `                export KUBECONFIG=${shellQuote(place.kubeconfigPath)}`,
  ];
  if (ready) {
    const { example } = ready;
    lines.push(
      `  cert URL      ${ready.certUrl}`,
      `  metrics       ${ready.metricsUrl}`,
      `  operator log  ${shown(ready.logPath)}`,
      `  example       ${shown(example.path)} (${example.created ? 'sealed now' : 'kept'}, for key ${example.fingerprint})`,
      '',
      `Try this: kubectl --kubeconfig ${shellQuote(kubeconfig)} apply -f ${shellQuote(shown(example.path))}`,
    );
  } else {
    lines.push(
      '  operator      not started (--no-operator)',
      '',
      `Try this: cloak operator --kubeconfig ${shellQuote(kubeconfig)} --listen-addr 127.0.0.1:0 --advertise-address 127.0.0.1`,
    );
  }
  lines.push('', 'Ctrl-C stops everything; running it again picks up where it stopped.', '');
  return lines.join('\n');
}

/** Relative to the working directory when inside it (shorter to read and type), else absolute. */
function shown(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

interface OperatorLog {
  logger: Logger;
  path: string;
  close(): void;
}

/**
 * The operator's JSON log goes to <data-dir>/operator.log (the previous run's is kept as operator.previous.log);
 * warnings and errors also reach the terminal, as one readable line each. Values are redacted before either.
 */
async function openOperatorLog(dataDir: string, level: string): Promise<OperatorLog> {
  const path = join(dataDir, 'operator.log');
  await rename(path, join(dataDir, 'operator.previous.log')).catch(() => undefined);
  const file = pino.destination({ dest: path, sync: true, mkdir: true });
  const streamLevel = (level === 'silent' ? 'fatal' : level) as Level;
  const destination = pino.multistream([
    { level: streamLevel, stream: file },
    { level: 'warn', stream: terminalStream() },
  ]) as unknown as DestinationStream;
  return {
    logger: createLogger({ name: 'cloak-operator', level, destination }),
    path,
    close: () => file.end(),
  };
}

function terminalStream(): DestinationStream {
  return {
    write: (line: string) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stderr.write(line);
        return;
      }
      const { level, msg, time: _time, pid: _pid, hostname: _hostname, name: _name, ...fields } = entry;
      const details = Object.entries(fields)
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join(' ');
      process.stderr.write(
        `cloak up: operator ${String(level)}: ${String(msg)}${details ? ` (${details})` : ''}\n`,
      );
    },
  };
}

/**
 * SIGINT/SIGTERM: stop cleanly (the signal aborts). Another one later: exit at once. One within a second of
 * the first is the same request delivered twice: Ctrl-C under `npm start` reaches node from the terminal and
 * again from npm, which forwards it.
 */
class Interrupts {
  readonly #controller = new AbortController();
  readonly stopped: Promise<void>;
  #firstAt = 0;
  readonly #handler = (signal: NodeJS.Signals): void => {
    if (this.#firstAt === 0) {
      this.#firstAt = Date.now();
      process.stderr.write(`cloak up: ${signal}: stopping (once more to exit at once)\n`);
      this.#controller.abort();
      return;
    }
    if (Date.now() - this.#firstAt < 1_000) return;
    process.stderr.write(`cloak up: ${signal} again: exiting without cleaning up\n`);
    process.exit(130);
  };

  constructor() {
    this.stopped = new Promise((resolve) =>
      this.#controller.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    process.on('SIGINT', this.#handler);
    process.on('SIGTERM', this.#handler);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  dispose(): void {
    process.off('SIGINT', this.#handler);
    process.off('SIGTERM', this.#handler);
  }
}
