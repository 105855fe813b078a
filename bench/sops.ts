/**
 * SOPS encryption and decryption of a large document (about 10 MB, 100,000 values), in YAML and in JSON,
 * through the library rather than the CLI so that no key file or process start-up is in the figure. Each
 * path is timed whole, as `cloak sops encrypt` and `cloak sops decrypt` run it:
 * - encrypt: the store parses the plain text, `sealBranches` encrypts every value and the MAC and stamps the
 *   metadata, the store writes the encrypted text;
 * - decrypt: the store parses the encrypted text, `openDocument` unwraps the data key (one age X25519
 *   decryption), decrypts every value and checks the MAC, the store writes the plain text.
 * Each is a ratio to parsing and re-serialising the same document with the YAML library alone (the issue's
 * baseline for both formats: JSON is YAML), measured in the same run; for JSON the ratio to the native
 * `JSON.parse` + `JSON.stringify` is printed too, for information.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { Document, isMap, isSeq, parseAllDocuments, type Node } from 'yaml';
import { openDocument, sealBranches } from '../src/sops/file.ts';
import { AgeKey } from '../src/sops/keys/age.ts';
import type { KeyContext } from '../src/sops/keys/master-key.ts';
import { SOPS_FORMAT_VERSION, type Metadata } from '../src/sops/metadata.ts';
import { storeFor } from '../src/sops/stores/index.ts';
import type { Store } from '../src/sops/stores/store.ts';
import { progress, type Figure } from './report.ts';
import { bestOfRounds } from './stats.ts';

const BENCHMARK = 'sops';
const SERVICES = 1000;
/** Every service below holds exactly this many values, so the document holds SERVICES × 100 of them. */
const VALUES_PER_SERVICE = 100;
/**
 * Timed rounds after one checked warm-up run of each measure; the fastest run of each measure is kept. A YAML
 * round (baseline, encrypt, decrypt) takes about 15 s on a busy 2-core machine and a JSON round about 6 s:
 * with the warm-ups and checks the whole benchmark stays under 2 minutes. Fewer rounds, not a smaller
 * document, is where to save time.
 */
const ROUNDS = 3;
const TARGETS: Record<'yaml' | 'json', number> = { yaml: 5, json: 3 };
const SOURCE = 'bench.sops';

interface Format {
  format: 'yaml' | 'json';
  label: string;
  /** What the ratio is taken against: the plain library parsing and re-serialising the document. */
  baselineName: string;
  baseline: (text: string) => string;
  /** The document's content as the plain library reads it, to check Cloak's output against independently. */
  content: (text: string) => unknown;
}

const YAML: Format = {
  format: 'yaml',
  label: 'YAML',
  baselineName: 'yaml parseAllDocuments + toString',
  // uniqueKeys: false, as Cloak's YAML store reads: the library's duplicate-key check compares every key of
  // a mapping with every other and would make the baseline quadratic, and so meaninglessly slow.
  baseline: (text) =>
    parseAllDocuments(text, { uniqueKeys: false })
      .map((document) => document.toString())
      .join(''),
  content: (text) =>
    parseAllDocuments(text, { uniqueKeys: false }).map((document) => document.toJS() as unknown),
};

const JSON_FORMAT: Format = {
  format: 'json',
  label: 'JSON',
  baselineName: 'yaml parseAllDocuments + toString of the JSON text',
  baseline: YAML.baseline,
  content: (text) => [JSON.parse(text) as unknown],
};

/** Native JSON, far faster than any library: the JSON paths against it, for information. */
function nativeJson(text: string): string {
  return JSON.stringify(JSON.parse(text), null, '\t');
}

export async function benchSops(): Promise<Figure[]> {
  progress(`sops: generating a document of ${SERVICES * VALUES_PER_SERVICE} values`);
  const content = generateContent();
  const keys = await makeKeys();
  const yaml = await benchFormat(YAML, content, keys);
  const json = await benchFormat(JSON_FORMAT, content, keys);
  // Against native JSON the JSON paths also pay for 100,000 AES-GCM operations that JSON.parse never does.
  const { native } = await bestOfRounds(ROUNDS, { native: () => timedRate(() => nativeJson(json.plain)) });
  const againstNative = (name: 'encrypt' | 'decrypt'): Figure => ({
    benchmark: BENCHMARK,
    name: `JSON ${name} ÷ JSON.parse + JSON.stringify`,
    value: native / json.rates[name],
    unit: 'ratio',
    note: 'for information: native JSON does no encryption and no typing',
  });
  return [...yaml.figures, ...json.figures, againstNative('encrypt'), againstNative('decrypt')];
}

interface Keys {
  dataKey: Buffer;
  /** The data key already wrapped for an age recipient, as the metadata of a real file holds it. */
  ageKey: AgeKey;
  context: KeyContext;
}

async function makeKeys(): Promise<Keys> {
  const identity = await generateIdentity();
  const dataKey = randomBytes(32);
  const ageKey = await AgeKey.fromSpec(await identityToRecipient(identity)).encrypt(dataKey);
  // SOPS_AGE_KEY is read first; the user's own identity file, if any, is read once and cached with the env.
  return { dataKey, ageKey, context: { env: { SOPS_AGE_KEY: identity }, now: () => new Date() } };
}

interface Measured {
  figures: Figure[];
  /** The document in its plain text form. */
  plain: string;
  /** Runs per second of each measure, the best of the rounds. */
  rates: Record<'baseline' | 'encrypt' | 'decrypt', number>;
}

async function benchFormat(format: Format, content: Content, keys: Keys): Promise<Measured> {
  const store = storeFor(format.format);
  const plain =
    format.format === 'yaml' ? yamlText(content) : `${JSON.stringify(content.value, null, '\t')}\n`;
  const values = SERVICES * VALUES_PER_SERVICE;
  const described = `${(Buffer.byteLength(plain) / 1e6).toFixed(1)} MB, ${values} values${format.format === 'yaml' ? `, ${content.comments} comments` : ''}`;

  progress(`sops ${format.label}: ${described}; warm-up and correctness check`);
  const encrypt = (): string => encryptText(store, plain, keys);
  const decrypt = (text: string): Promise<string> => decryptText(store, text, keys.context);
  // The warm-up runs are checked in depth; the timed ones against what the warm-up produced.
  const encrypted = checkEncrypted(encrypt(), values + (format.format === 'yaml' ? content.comments : 0));
  const decrypted = await decrypt(encrypted);
  checkDecrypted(format, store, plain, decrypted);
  const baselineOutput = format.baseline(plain);
  const encryptedValues = countEncrypted(encrypted);

  progress(`sops ${format.label}: baseline, encrypt and decrypt, best of ${ROUNDS} rounds`);
  const rates = await bestOfRounds(ROUNDS, {
    baseline: () =>
      timedRate(() => {
        if (format.baseline(plain).length !== baselineOutput.length)
          throw new Error('baseline output changed');
      }),
    encrypt: () =>
      timedRate(() => {
        if (countEncrypted(encrypt()) !== encryptedValues)
          throw new Error('encrypted a different number of values');
      }),
    decrypt: () =>
      timedRate(async () => {
        if ((await decrypt(encrypted)) !== decrypted)
          throw new Error('decrypted output changed between runs');
      }),
  });
  const ms = (rate: number): number => 1000 / rate;
  const target = TARGETS[format.format];
  const ratio = (name: 'encrypt' | 'decrypt'): Figure => ({
    benchmark: BENCHMARK,
    name: `${format.label} ${name} ÷ baseline`,
    value: rates.baseline / rates[name],
    unit: 'ratio',
    target: { comparison: '<=', limit: target },
  });
  const figures: Figure[] = [
    {
      benchmark: BENCHMARK,
      name: `${format.label} baseline: ${format.baselineName}`,
      value: ms(rates.baseline),
      unit: 'ms',
      note: described,
    },
    {
      benchmark: BENCHMARK,
      name: `${format.label} encrypt: parse, seal, emit`,
      value: ms(rates.encrypt),
      unit: 'ms',
    },
    {
      benchmark: BENCHMARK,
      name: `${format.label} decrypt: parse, open (MAC checked), emit`,
      value: ms(rates.decrypt),
      unit: 'ms',
    },
    ratio('encrypt'),
    ratio('decrypt'),
  ];
  return { figures, rates, plain };
}

/** Runs per second of one run of `operation`: the figures are ratios of these, so the unit cancels out. */
async function timedRate(operation: () => unknown): Promise<number> {
  const start = performance.now();
  await operation();
  return 1000 / (performance.now() - start);
}

function encryptText(store: Store, plain: string, keys: Keys): string {
  const metadata: Metadata = {
    keyGroups: [[keys.ageKey]],
    shamirThreshold: 0,
    lastModified: '',
    mac: '',
    rules: {},
    macOnlyEncrypted: false,
    version: SOPS_FORMAT_VERSION,
  };
  const branches = store.parsePlain(plain, SOURCE);
  return store.emitEncrypted(sealBranches(branches, metadata, keys.dataKey, keys.context, undefined));
}

async function decryptText(store: Store, encrypted: string, context: KeyContext): Promise<string> {
  const document = store.parseEncrypted(encrypted, SOURCE);
  const opened = await openDocument(document, context, { source: SOURCE });
  return store.emitPlain(opened.branches);
}

function countEncrypted(text: string): number {
  return text.split('ENC[AES256_GCM,').length - 1;
}

/** Every value and comment of the document is encrypted, plus the MAC in the metadata. */
function checkEncrypted(encrypted: string, leaves: number): string {
  const found = countEncrypted(encrypted);
  if (found !== leaves + 1)
    throw new Error(`the encrypted document holds ${found} ENC[…] values, not ${leaves + 1}`);
  return encrypted;
}

/**
 * A fast wrong answer is not a result: the decrypted text must read, with the plain library, as exactly the
 * content that was encrypted, and, with Cloak's own store, as the same tree, comments included.
 */
function checkDecrypted(format: Format, store: Store, plain: string, decrypted: string): void {
  if (!isDeepStrictEqual(format.content(decrypted), format.content(plain))) {
    throw new Error(`${format.label}: the decrypted document differs from the plain one`);
  }
  if (!isDeepStrictEqual(store.parsePlain(decrypted, SOURCE), store.parsePlain(plain, SOURCE))) {
    throw new Error(`${format.label}: the decrypted document reads as a different tree from the plain one`);
  }
}

// The document: a deployment configuration for many services, with the mix of values such files hold.

interface Content {
  value: { services: Record<string, unknown>[] };
  /** Comments the YAML form carries (one before each service and one at the top); JSON has none. */
  comments: number;
}

const WORDS = (
  'alpha beta gamma delta api worker gateway billing search auth cache queue metrics frontend backend storage ' +
  'ledger notify report session profile payments inventory shipping café naïve zürich 東京'
).split(' ');

/** A small deterministic generator (mulberry32), so that every run measures the same document. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generateContent(): Content {
  const next = random(0x5eed);
  const int = (low: number, high: number): number => low + Math.floor(next() * (high - low + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  const word = (): string => pick(WORDS);
  const float = (): number => (int(1, 99_999) * 2 + 1) / 200;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const token = (length: number): string => Array.from({ length }, () => alphabet[int(0, 63)]).join('');
  const sentence = (words: number): string => Array.from({ length: words }, word).join(' ');
  const pem = (): string => {
    const lines = Array.from({ length: int(12, 20) }, () => token(64));
    return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  };
  // Strings that would read as another type unquoted, as configuration files often hold.
  const tricky = ['1.20', 'true', 'no', '0755', 'null', '8080', 'a: b', '# not a comment', 'quote "me"'];
  const mixed = (): string | number | boolean => {
    switch (int(0, 7)) {
      case 0:
        return int(0, 1_000_000);
      case 1:
        return next() < 0.5;
      case 2:
        return pick(tricky);
      case 3:
        return `postgres://${word()}:${token(int(12, 24))}@db-${int(1, 9)}.internal:5432/${word()}?sslmode=require`;
      case 4:
        return sentence(int(4, 16));
      default:
        return token(int(16, 300));
    }
  };

  const services = Array.from({ length: SERVICES }, (_, index) => {
    const name = `${word()}-${index}`;
    return {
      name,
      image: `registry.example.com/${word()}/${name}:${int(0, 9)}.${int(0, 40)}.${int(0, 99)}`,
      replicas: int(1, 12),
      enabled: next() < 0.8,
      weight: float(),
      version: `${int(1, 3)}.${int(10, 30)}`,
      labels: {
        app: name,
        tier: word(),
        team: word(),
        environment: pick(['prod', 'staging', 'dev']),
        owner: word(),
      },
      resources: {
        limits: { cpu: float(), memory: `${int(1, 64) * 128}Mi` },
        requests: { cpu: float(), memory: `${int(1, 32) * 128}Mi` },
      },
      ports: Array.from({ length: 3 }, (_, port) => ({
        name: pick(['http', 'grpc', 'metrics', 'admin']),
        port: 8000 + port * 10 + int(0, 9),
        protocol: pick(['TCP', 'UDP']),
      })),
      env: Array.from({ length: 20 }, (_, variable) => ({
        name: `${word().toUpperCase()}_${variable}`,
        value: mixed(),
      })),
      config: Object.fromEntries(Array.from({ length: 20 }, (_, key) => [`${word()}_${key}`, mixed()])),
      secrets: Object.fromEntries(
        Array.from({ length: 8 }, (_, key) => [
          `${word()}_secret_${key}`,
          key === 0 && index % 2 === 0 ? pem() : token(int(64, 1000)),
        ]),
      ),
      healthcheck: {
        path: `/${word()}/healthz`,
        intervalSeconds: int(5, 60),
        timeoutSeconds: float(),
        enabled: true,
      },
      tags: Array.from({ length: 4 }, word),
    };
  });
  return { value: { services }, comments: SERVICES + 1 };
}

/** The YAML form, as the `yaml` library writes it, with a comment at the top and one before each service. */
function yamlText(content: Content): string {
  const document = new Document(content.value);
  document.commentBefore = ' Deployment configuration (generated for the benchmark)';
  const services = document.get('services', true) as Node;
  if (!isSeq(services)) throw new Error('services is not a sequence');
  services.items.forEach((service, index) => {
    if (!isMap(service)) throw new Error('a service is not a mapping');
    service.commentBefore = ` service ${index}: owned by team ${index % 17}`;
  });
  return document.toString({ lineWidth: 0 });
}
