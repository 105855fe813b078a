/**
 * `cloak template render`: render a Go text/template the way Sealed Secrets, External Secrets and the Vault
 * injector do, to debug a template locally. This module declares the command; template-run.ts runs it.
 */
import type { Command } from 'commander';

export interface TemplateRenderFlags {
  funcs: string;
  data?: string;
  missingkey?: string;
  delims?: string;
}

export function registerTemplateCommand(program: Command): void {
  const template = program
    .command('template')
    .summary('Go text/template, as the secrets controllers render it')
    .description(
      'Render Go text/template files with the function sets of Sealed Secrets, External Secrets and the Vault injector.',
    );
  template
    .command('render')
    .summary('render a template file and print exactly its output')
    .description(
      'Renders TEMPLATE_FILE (- for stdin) with Go text/template semantics and prints the output bytes exactly, ' +
        "without an added newline. On failure prints Go's error on one line and exits 1. Data comes from " +
        "--data: JSON is decoded as Go's encoding/json decodes into interface{} (every number is a float64, so " +
        '1000000 prints as 1e+06), YAML as sigs.k8s.io/yaml does. The template is named after the file, as ' +
        'template.ParseFiles names it. Error messages show data values (the data is yours).',
    )
    .argument('<template-file>', 'the template (- for stdin)')
    .option(
      '--funcs <set>',
      "functions besides Go's built-ins: none, sprig, eso, sealed-secrets or injector",
      'none',
    )
    .option(
      '--data <file>',
      'template data: a .json, .yaml or .yml file (- for stdin; JSON unless the name says YAML)',
    )
    .option(
      '--missingkey <mode>',
      'what a missing map key gives: default (<no value>), zero, or error (as ESO)',
    )
    .option('--delims <left,right>', 'action delimiters, e.g. "[[,]]" (default "{{,}}")')
    .action(async (file: string, flags: TemplateRenderFlags) => {
      const { runTemplateRender } = await import('./template-run.ts');
      await runTemplateRender(file, flags);
    });
}
