/**
 * `cloak rbac`: Kubernetes RBAC, evaluated by Cloak itself. `can-i` answers as `kubectl auth can-i` does, offline
 * from RBAC manifests plus the default roles, or from the RBAC objects of the cluster in the kubeconfig, and can
 * explain its answer. This module declares the commands; rbac-run.ts runs them.
 */
import type { Command } from 'commander';
import { addKubectlFlags, type KubectlFlagValues } from '../kube-flags.ts';

export interface CanIFlags extends KubectlFlagValues {
  as?: string;
  asGroup?: string[];
  allNamespaces?: boolean;
  subresource?: string;
  filename?: string[];
  list?: boolean;
  explain?: boolean;
  quiet?: boolean;
  headers: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerRbacCommand(program: Command): void {
  const rbac = program.command('rbac').summary('evaluate Kubernetes RBAC');
  const canI = rbac
    .command('can-i')
    .summary('check whether an action is allowed, as kubectl auth can-i, and why')
    .usage('VERB TYPE[/NAME] | VERB TYPE NAME | VERB /URL | --list  [options]')
    .argument('[args...]')
    .description(
      'Prints "yes" (exit 0) or "no" (exit 1) for VERB on TYPE (secrets, deployments.apps, deploy, *), on the ' +
        'object NAME, or on a non-resource URL (/healthz). With -f, evaluates RBAC manifests (files or ' +
        'directories of YAML/JSON, several documents, Lists) together with the Kubernetes 1.32 default roles and ' +
        'bindings, with no cluster (Roles and RoleBindings without a namespace are in "default"); without -f, reads the Roles, ClusterRoles and bindings of the cluster in the ' +
        'kubeconfig and evaluates them here. --explain names the binding and rule that allowed it, or the ' +
        'bindings the user has. As with kubectl, TYPE/NAME names an object: use --subresource for pods/log.',
    )
    .option('--as <user>', 'the user to check (offline: required; live: default is the kubeconfig user)')
    .option('--as-group <group>', 'a group of that user (repeatable)', collect)
    .option('-A, --all-namespaces', 'check at the cluster scope (in all namespaces)')
    .option('--subresource <name>', 'the subresource, e.g. log, status, scale')
    .option(
      '-f, --filename <path>',
      'RBAC manifests to evaluate offline: a file, a directory (its .yaml, .yml and .json files) or - (repeatable)',
      collect,
    )
    .option('--list', 'list everything the user may do in the namespace')
    .option('--no-headers', 'with --list: leave out the header row')
    .option('--explain', 'say which binding and rule allowed it, or what the user has')
    .option('-q, --quiet', 'print nothing; the exit status answers');
  addKubectlFlags(canI);
  canI.action(async (args: string[], flags: CanIFlags) => {
    const { runCanI } = await import('./rbac-run.ts');
    await runCanI(args, flags);
  });
}
