/**
 * `cloak unseal` (and `cloak seal --recovery-unseal`): SealedSecrets back to Secrets with the controller's
 * private keys, for disaster recovery and audits. This module declares the command; unseal-run.ts runs it.
 */
import type { Command } from 'commander';
import { collectList } from '../flag-env.ts';

export interface UnsealFlags {
  key?: string[];
  secretFile?: string;
  sealedSecretFile?: string;
  format: string;
  workers?: string;
}

export function registerUnsealCommand(program: Command): void {
  program
    .command('unseal')
    .summary("decrypt SealedSecrets with the controller's private keys")
    .description(
      'Reads SealedSecrets (YAML or JSON, several documents allowed) from stdin or --secret-file and prints ' +
        'the Secrets the controller would create. Each --key is a PEM private key (PKCS#1 or PKCS#8), a key ' +
        'Secret, or a v1.List of key Secrets as `kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml` ' +
        "writes it. The key named by a SealedSecret's cloak.dev/sealing-key annotation is tried first, then the " +
        'newest. Nothing is printed unless every SealedSecret opens; each failure is reported with its items.',
    )
    .requiredOption('-k, --key <files>', 'private key file (repeatable, comma-separated)', collectList)
    .option('-f, --secret-file <file>', 'read SealedSecrets from this file instead of stdin')
    .option('-w, --sealed-secret-file <file>', 'write the Secrets to this file, atomically, mode 0600')
    .option('-o, --format <format>', 'output format: json or yaml', 'json')
    .option('--workers <n>', 'worker threads for decryption (default: one per CPU)')
    .action(async (flags: UnsealFlags) => {
      const { runUnseal } = await import('./unseal-run.ts');
      await runUnseal(flags);
    });
}
