/** What `cloak audit policy` does (see audit.ts for the flags). */
import { formatFinding, lintPolicy } from '../../audit/lint.ts';
import { loadPolicy } from '../../audit/policy.ts';
import { recommendedPolicyYaml } from '../../audit/recommended.ts';
import { UsageError } from '../../common/errors.ts';
import { toGoJson } from '../../manifests/encode.ts';
import { readInput, writeOutput } from '../io.ts';
import type { PolicyGenerateFlags, PolicyLintFlags } from './audit.ts';

export async function runPolicyLint(file: string, flags: PolicyLintFlags): Promise<void> {
  const format = flags.output.toLowerCase();
  if (format !== 'text' && format !== 'json') {
    throw new UsageError(`unsupported output format: ${flags.output} (use text or json)`);
  }
  const input = await readInput(file);
  const { policy, unknownFields } = loadPolicy(input.text, input.source);
  const findings = lintPolicy(policy, { unknownFields });
  if (format === 'json') {
    const objects = findings.map(({ rule, code, message }) => ({ rule: rule ?? null, code, message }));
    await writeOutput(`${toGoJson(objects)}\n`);
  } else if (findings.length > 0) {
    await writeOutput(`${findings.map(formatFinding).join('\n')}\n`);
  }
  if (findings.length > 0) process.exitCode = 1;
}

export async function runPolicyGenerate(flags: PolicyGenerateFlags): Promise<void> {
  await writeOutput(recommendedPolicyYaml(), flags.output);
}
