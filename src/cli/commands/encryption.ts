/**
 * `cloak encryption`: tools for Kubernetes encryption at rest on real clusters: make and rotate an
 * EncryptionConfiguration, check from etcd what protects each object, decrypt objects without an API server,
 * and rewrite every object through the API so that it is stored under the current key. This module declares
 * the commands; encryption-run.ts and encryption-rewrite-run.ts run them.
 */
import type { Command } from 'commander';
import { addKubectlFlags, type KubectlFlagValues } from '../kube-flags.ts';

export interface GenerateFlags {
  provider?: string;
  resources: string;
  keyName?: string;
  kmsName?: string;
  kmsEndpoint?: string;
  kmsTimeout?: string;
  identityFallback: boolean;
  output?: string;
  force?: boolean;
}

export interface RotateFlags {
  resources: string;
}

export interface EtcdFlags {
  etcdEndpoints?: string;
  etcdPrefix: string;
}

export interface VerifyFlags extends EtcdFlags {
  resources: string;
  config?: string;
  output: string;
}

export interface DecryptFlags extends EtcdFlags {
  config?: string;
  fromDump?: string;
  prefix?: string;
  output: string;
  outputFile?: string;
  skipUnreadable?: boolean;
  showManagedFields?: boolean;
}

export interface RewriteFlags extends KubectlFlagValues {
  resources: string;
  allNamespaces?: boolean;
  checkpoint?: string;
  batch: string;
}

export function registerEncryptionCommand(program: Command): void {
  const encryption = program
    .command('encryption')
    .summary('encryption at rest: make, rotate, verify and recover with an EncryptionConfiguration')
    .description(
      "Tools for kube-apiserver's encryption at rest (--encryption-provider-config): make a configuration, " +
        'rotate its keys step by step, check in etcd what protects every object, re-encrypt everything through ' +
        'the API, and decrypt objects straight from etcd or an etcdctl dump when the API server is gone.',
    );

  const config = encryption.command('config').summary('make and rotate EncryptionConfiguration files');
  config
    .command('generate')
    .summary('write a new EncryptionConfiguration with a fresh key')
    .description(
      'Writes an EncryptionConfiguration (apiserver.config.k8s.io/v1) whose first provider encrypts the ' +
        'resources with a new random 32-byte key named key-<UTC timestamp>, followed by `identity: {}` so that ' +
        'what is stored in plain text stays readable until it is rewritten. The kms provider (KMS v2) has no ' +
        'key in the file. With -o the file is written atomically, mode 0600; it holds key material.',
    )
    .option('--provider <name>', 'aesgcm, aescbc, secretbox or kms')
    .option('--resources <list>', 'comma-separated resources to encrypt', 'secrets')
    .option('--key-name <name>', 'name of the key (default: key-<UTC YYYYMMDDhhmmss>)')
    .option('--kms-name <name>', 'kms: the provider name (part of every stored value; never change it)')
    .option('--kms-endpoint <endpoint>', "kms: the plugin's socket, unix:///path/to/plugin.sock")
    .option('--kms-timeout <duration>', 'kms: timeout of each plugin call', '3s')
    .option(
      '--no-identity-fallback',
      'leave out `identity: {}` (plain text already stored becomes unreadable)',
    )
    .option('-o, --output <file>', 'write to this file (atomically, mode 0600) instead of stdout')
    .option('--force', 'overwrite the -o file if it exists')
    .action(async (flags: GenerateFlags) => {
      const { runConfigGenerate } = await import('./encryption-run.ts');
      await runConfigGenerate(flags);
    });

  config
    .command('rotate')
    .summary('take the next step of the documented key rotation in FILE')
    .argument('<file>', 'the EncryptionConfiguration file (changed in place, atomically)')
    .description(
      "Kubernetes' key rotation, one step per run, told from the key names' timestamps: (1) add a new key as " +
        'the second key of the first provider; (2) move it first, so that it encrypts; (3) remove the older ' +
        'keys. Between steps every API server must load the file, and before step 3 every object must be ' +
        'rewritten; each run prints what to do next. Comments and order in the file are kept. A kms provider ' +
        'rotates in the KMS: the file is left as it is and the steps are explained.',
    )
    .option('--resources <list>', 'comma-separated resources whose key rotates', 'secrets')
    .action(async (file: string, flags: RotateFlags) => {
      const { runConfigRotate } = await import('./encryption-run.ts');
      await runConfigRotate(file, flags);
    });

  encryption
    .command('verify')
    .summary('report from etcd what protects every stored object')
    .description(
      'Reads every key under /registry/<resource>/ straight from etcd (paged, read-only) and reports for ' +
        'each object whether it is plain text and which provider and key protect it, then a summary. With ' +
        "--config, also which objects are not yet under the configuration's current write provider and key " +
        '(stale: needs rewrite) or cannot be read with it. Values are never printed. Exits 1 when anything is ' +
        'plain text, stale or unreadable.',
    )
    .requiredOption('--etcd-endpoints <urls>', 'comma-separated etcd client URLs (http://127.0.0.1:2379)')
    .option('--resources <list>', 'comma-separated resources to check', 'secrets')
    .option('--config <file>', 'the EncryptionConfiguration the API servers use')
    .option('--etcd-prefix <prefix>', "kube-apiserver's --etcd-prefix", '/registry')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: VerifyFlags) => {
      const { runVerify } = await import('./encryption-run.ts');
      await runVerify(flags);
    });

  encryption
    .command('decrypt')
    .summary('decrypt objects from etcd or an etcdctl dump, without an API server')
    .argument('[keys...]', 'etcd keys (/registry/secrets/NS/NAME; relative ones are under --etcd-prefix)')
    .description(
      'The disaster-recovery path: reads stored values from etcd (--etcd-endpoints) or offline from the output ' +
        'of `etcdctl get --prefix /registry/ -w json` (--from-dump), opens them with the EncryptionConfiguration ' +
        '(KMS plugins are called on their sockets) and prints the objects as kubectl would, resourceVersion ' +
        'from the etcd revision. Without KEYS, every object under --prefix. The output holds secret values.',
    )
    .option('--config <file>', 'the EncryptionConfiguration that wrote the values (required)')
    .option('--etcd-endpoints <urls>', 'read from etcd: comma-separated client URLs')
    .option('--from-dump <file>', 'read from an `etcdctl get --prefix -w json` dump')
    .option('--prefix <prefix>', 'without KEYS: the key prefix to decrypt (default: /registry/secrets/)')
    .option('--etcd-prefix <prefix>', "kube-apiserver's --etcd-prefix", '/registry')
    .option('-o, --output <format>', 'yaml or json', 'yaml')
    .option('--output-file <file>', 'write to this file (atomically, mode 0600) instead of stdout')
    .option('--skip-unreadable', 'print the objects that open and warn about the others (default: fail)')
    .option('--show-managed-fields', 'keep metadata.managedFields in the output (kubectl leaves them out)')
    .action(async (keys: string[], flags: DecryptFlags) => {
      const { runDecrypt } = await import('./encryption-run.ts');
      await runDecrypt(keys, flags);
    });

  const rewrite = encryption
    .command('rewrite')
    .summary('store every object again with the current write provider and key')
    .description(
      'Lists every object of the resources through the API (paged) and writes each one back unchanged, so ' +
        'that the API server stores it with its current write provider and key (kubectl get -o json | kubectl ' +
        'replace -f -, but conflict-safe and resumable). A conflict re-reads the object and tries again; an ' +
        'object deleted meanwhile is skipped. Progress goes to stderr. With --checkpoint, a rerun skips what a ' +
        'previous run finished; the file is removed when everything is done.',
    )
    .option('--resources <list>', 'comma-separated resources to rewrite', 'secrets')
    .option('-A, --all-namespaces', 'every namespace (the default without -n)')
    .option('--checkpoint <file>', 'record progress in this file and resume from it')
    .option('--batch <n>', 'objects per list page and per checkpoint save', '100');
  addKubectlFlags(rewrite);
  rewrite.action(async (flags: RewriteFlags) => {
    const { runRewrite } = await import('./encryption-rewrite-run.ts');
    await runRewrite(flags);
  });
}
