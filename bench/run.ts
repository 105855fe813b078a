/**
 * `npm run bench`: runs every benchmark, prints each figure with its target and PASS/FAIL, and exits
 * non-zero when a target is missed. Figures are ratios to baselines measured in the same run, so they mean
 * the same on a laptop and on a CI machine.
 */
import { availableParallelism } from 'node:os';
import { benchApiServer } from './apiserver.ts';
import { benchEncryption } from './encryption.ts';
import { benchEncryptionE2e } from './encryption-e2e.ts';
import { benchOperator, benchOperatorMemory, benchOperatorThroughput } from './operator.ts';
import { formatTable, passes, progress, type Figure } from './report.ts';
import { benchSealCli } from './seal-cli.ts';
import { benchSops } from './sops.ts';
import { benchTemplate } from './template.ts';
import { busyCores } from './stats.ts';
import { benchUnseal } from './unseal.ts';

const BENCHMARKS: Record<string, () => Promise<Figure[]>> = {
  unseal: benchUnseal,
  'seal-cli': benchSealCli,
  sops: benchSops,
  'dev-cluster': benchApiServer,
  encryption: benchEncryption,
  'encryption-e2e': benchEncryptionE2e,
  operator: benchOperator,
  'operator-throughput': benchOperatorThroughput,
  'operator-memory': benchOperatorMemory,
  template: benchTemplate,
};

/** `npm run bench -- unseal` runs only the benchmarks named; no names runs them all. */
function selected(names: readonly string[]): (() => Promise<Figure[]>)[] {
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  // The operator's two parts run within `operator`; by themselves only when named.
  const chosen =
    names.length > 0 ? names : Object.keys(BENCHMARKS).filter((name) => !name.startsWith('operator-'));
  return chosen.map((name) => BENCHMARKS[name] as () => Promise<Figure[]>);
}

/** Other processes compete for the cores and pull the multi-core figures down; say so up front. */
async function warnIfBusy(): Promise<void> {
  const busy = await busyCores(500);
  if (busy >= 0.25) {
    progress(
      `warning: other processes kept ${busy.toFixed(1)} of ${availableParallelism()} cores busy just before the run; the figures may be low`,
    );
  }
}

async function main(): Promise<number> {
  const benchmarks = selected(process.argv.slice(2));
  await warnIfBusy();
  const figures: Figure[] = [];
  // One after the other: running them together would make each one the other's noise.
  for (const benchmark of benchmarks) figures.push(...(await benchmark()));
  process.stdout.write(`\n${formatTable(figures)}\n`);
  const failed = figures.filter((figure) => !passes(figure));
  process.stdout.write(
    failed.length === 0
      ? '\nall targets met\n'
      : `\n${failed.length} target(s) missed: ${failed.map((figure) => figure.name).join('; ')}\n`,
  );
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = await main();
