import { Option, type Command } from 'commander';
import { formatFinding, summarize, validateFiles } from '../validate/run.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Validate statsmoln manifests offline: schema, semantic and cross-document rules')
    .argument('<paths...>', 'YAML files or directories (other kinds in them are skipped)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'treat warnings as errors', false)
    .action(async (paths: string[], options: { output: 'text' | 'json'; strict: boolean }) => {
      const report = await validateFiles(paths);
      const failing = report.findings.filter((finding) => finding.severity === 'error' || options.strict);
      if (options.output === 'json') {
        console.log(JSON.stringify({ ...report, ok: failing.length === 0 }, null, 2));
      } else {
        const errors = report.findings.filter((finding) => finding.severity === 'error');
        const warnings = report.findings.filter((finding) => finding.severity === 'warning');
        for (const finding of errors) console.log(formatFinding(finding));
        for (const finding of warnings) console.log(formatFinding(finding));
        console.log(summarize(report));
      }
      if (failing.length > 0) process.exitCode = 1;
    });
}
