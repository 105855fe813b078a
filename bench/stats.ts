/** Small statistics and timing helpers shared by the benchmarks. */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The highest rate of each measure over `rounds` rounds, each round running every measure once, in order.
 * On a shared machine noise only ever slows a run down, so the fastest run is the closest to what the code
 * can do; interleaving the measures makes a busy spell slow all of them rather than one.
 */
export async function bestOfRounds<Name extends string>(
  rounds: number,
  measures: Record<Name, () => number | Promise<number>>,
): Promise<Record<Name, number>> {
  const names = Object.keys(measures) as Name[];
  const best = Object.fromEntries(names.map((name) => [name, 0])) as Record<Name, number>;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) best[name] = Math.max(best[name], await measures[name]());
  }
  return best;
}

/** Operations per second of a synchronous `operation`, repeated for at least `durationMs`. */
export function syncRate(durationMs: number, operation: () => void): number {
  const start = performance.now();
  for (let count = 1; ; count++) {
    operation();
    const elapsed = performance.now() - start;
    if (elapsed >= durationMs) return (count * 1000) / elapsed;
  }
}

/** How many cores' worth of CPU time the machine used during `sampleMs` (this process sleeping meanwhile). */
export async function busyCores(sampleMs: number): Promise<number> {
  const before = cpus();
  await setTimeout(sampleMs);
  const after = cpus();
  let busy = 0;
  let total = 0;
  after.forEach((cpu, index) => {
    const earlier = before[index]?.times;
    if (!earlier) return;
    const all = sum(Object.values(cpu.times)) - sum(Object.values(earlier));
    busy += all - (cpu.times.idle - earlier.idle);
    total += all;
  });
  return total > 0 ? (busy / total) * after.length : 0;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
