/**
 * `cloak audit policy`: check an audit policy for secret values it would write into the audit log, and write the
 * recommended policy. This module declares the commands; audit-run.ts runs them.
 */
import type { Command } from 'commander';

export interface PolicyLintFlags {
  output: string;
}

export interface PolicyGenerateFlags {
  output?: string;
}

export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .summary('Kubernetes audit logging')
    .description('Tools for the API server audit log (audit.k8s.io/v1).');
  const policy = audit
    .command('policy')
    .summary('lint and generate audit policies')
    .description(
      'Audit policies decide what kube-apiserver writes to the audit log for each ' +
        'request. The first matching rule wins, so rule order decides whether Secret values reach the log.',
    );
  policy
    .command('lint')
    .summary('report where a policy logs secret values or leaves Secret reads unrecorded')
    .description(
      'Validates FILE as kube-apiserver does (--audit-policy-file), then prints one warning per line: rules that ' +
        'write Secret or ConfigMap data, reviewed tokens or issued ServiceAccount tokens into the log (Request or ' +
        'RequestResponse level, taking rule order into account), rules and gaps that leave reads of Secrets ' +
        'unrecorded, wildcards audit policies do not have, rules hidden behind a catch-all, and fields kube ' +
        'ignores. Rules are numbered from 0, as in rules[N]. Exits 1 when there is any warning.',
    )
    .argument('<file>', 'policy file (YAML or JSON; - for stdin)')
    .option('-o, --output <format>', 'text (one "warning: rule N: …" per line) or json', 'text')
    .action(async (file: string, flags: PolicyLintFlags) => {
      const { runPolicyLint } = await import('./audit-run.ts');
      await runPolicyLint(file, flags);
    });
  policy
    .command('generate')
    .summary('print the recommended audit policy')
    .description(
      'Writes the audit policy Cloak recommends as YAML with a comment on each rule: Secrets, ConfigMaps, ' +
        'TokenReviews and TokenRequests at Metadata first (never their bodies), noisy read-only requests not ' +
        'logged, RBAC and admission webhook changes in full, everything else at Metadata; RequestReceived omitted.',
    )
    .option('-o, --output <file>', 'write to this file (atomically) instead of stdout')
    .action(async (flags: PolicyGenerateFlags) => {
      const { runPolicyGenerate } = await import('./audit-run.ts');
      await runPolicyGenerate(flags);
    });
}
