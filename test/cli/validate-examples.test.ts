import { readdir, readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { formatFinding, validateFiles } from '../../src/cli/validate/run.js';

const run = promisify(execFile);
const invalidDir = 'examples/invalid';
const invalidFiles = (await readdir(invalidDir)).filter((name) => name.endsWith('.yaml'));

describe('statsmoln validate on examples/', () => {
  it('finds no error and no warning in the example set', async () => {
    const report = await validateFiles(['examples']);
    expect(report.findings.map(formatFinding)).toEqual([]);
    expect(report.objects).toBeGreaterThanOrEqual(20);
    expect(report.skipped).toBe(3); // the agency Namespaces
  });

  it('skips what examples/.statsmolnignore lists when walking the directory', async () => {
    const report = await validateFiles(['examples']);
    expect(report.findings.some((finding) => finding.file.startsWith(invalidDir))).toBe(false);
  });
});

describe('every file in examples/invalid fails with exactly its expected findings', () => {
  it.each(invalidFiles)('%s', async (name) => {
    const file = join(invalidDir, name);
    const expected = (await readFile(file, 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('# expect: '))
      .map((line) => `${file}:${line.slice('# expect: '.length)}`);
    expect(expected.length).toBeGreaterThan(0);
    const report = await validateFiles(['examples', file]);
    const errors = report.findings.filter((finding) => finding.severity === 'error');
    expect(errors.map(formatFinding)).toEqual(expected);
  });
});

describe('the statsmoln validate command', () => {
  const cli = ['--import', 'tsx', 'src/cli/main.ts', 'validate'];

  it('exits 0 with a summary on a clean set', async () => {
    const { stdout } = await run(process.execPath, [...cli, 'examples']);
    expect(stdout).toMatch(/0 errors, 0 warnings\n$/);
  });

  it('exits 1 and prints file:line:col findings on errors', async () => {
    const failure = await run(process.execPath, [...cli, 'examples', `${invalidDir}/cidr-overlap.yaml`]).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect('code' in failure && failure.code).toBe(1);
    expect(failure.stdout).toContain('examples/invalid/cidr-overlap.yaml:20:57 AgencyTenant/overlap spec.network.addressPlan[1].cidrs[0]: ');
  });

  it('prints a machine-readable report with --output json', async () => {
    const failure = await run(process.execPath, [...cli, '--output', 'json', `${invalidDir}/wrong-apiversion.yaml`]).catch(
      (error: { stdout: string }) => error,
    );
    const report = JSON.parse(failure.stdout) as { ok: boolean; findings: Array<{ line: number; field: string; rule: string }> };
    expect(report.ok).toBe(false);
    expect(report.findings[0]).toMatchObject({ line: 3, field: 'apiVersion', rule: 'schema.apiVersion' });
  });

  it('makes warnings fail only with --strict', async () => {
    // A tenant alone: its data centers are not in the set, which is a warning.
    const args = [...cli, 'examples/agencies/bolagsverket/tenant.yaml'];
    const lenient = await run(process.execPath, args);
    expect(lenient.stdout).toContain('warning: DataCenter "lla-1" is not in the validated files; not checked');
    const strict = await run(process.execPath, [...args, '--strict']).catch((error: { code: number }) => error);
    expect('code' in strict && strict.code).toBe(1);
  });

  it('reports a missing path as an error, not a stack trace', async () => {
    const failure = await run(process.execPath, [...cli, 'no/such/dir']).catch((error: { code: number; stderr: string }) => error);
    expect('code' in failure && failure.code).toBe(1);
    expect(failure.stderr).toBe('statsmoln: no/such/dir: no such file or directory\n');
  });
});
