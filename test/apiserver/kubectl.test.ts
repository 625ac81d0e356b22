import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startApiServer, type ApiServer } from '../../src/apiserver/index.js';
import { FIXTURES } from './helpers.js';

const run = promisify(execFile);

/**
 * kubectl 1.26 or later: older clients read OpenAPI v2 as protobuf (not served here) for
 * validation and explain. Debian 12's kubernetes-client package is 1.20.
 */
async function kubectlSkipReason(): Promise<string | undefined> {
  try {
    const { stdout } = await run('kubectl', ['version', '--client', '-o', 'json'], { timeout: 10_000 });
    const version = (JSON.parse(stdout) as { clientVersion: { major: string; minor: string; gitVersion: string } }).clientVersion;
    const minor = Number.parseInt(version.minor, 10);
    if (version.major !== '1' || !(minor >= 26)) return `kubectl ${version.gitVersion} is older than 1.26`;
    return undefined;
  } catch {
    return 'kubectl is not on PATH';
  }
}

const skipReason = await kubectlSkipReason();
if (skipReason) console.warn(`${skipReason}: the kubectl conformance test is skipped`);
const maybe = skipReason ? describe.skip : describe;

/** The project's own CRDs and examples, when this checkout has them. */
const ROOT = resolve(FIXTURES, '../../..');
const projectCrds = join(ROOT, 'crds');
const projectExamples = ['platform', 'agencies'].map((d) => join(ROOT, 'examples', d)).filter((d) => existsSync(d));

maybe('kubectl against the embedded API server', () => {
  let server: ApiServer;
  let dir: string;
  let kubectl: (...args: string[]) => Promise<string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'statsmoln-kubectl-'));
    server = await startApiServer({ port: 0 });
    const kubeconfig = await server.writeKubeconfig(join(dir, 'kubeconfig'));
    kubectl = async (...args: string[]) => {
      const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir }, timeout: 60_000 });
      return stdout;
    };
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('applies CRDs and examples, lists with printer columns, describes, explains and deletes', async () => {
    await kubectl('apply', '-f', FIXTURES);
    await kubectl('wait', '--for', 'condition=Established', 'crd/widgets.test.statsmoln.io', '--timeout=10s');
    expect(await kubectl('apply', '-f', join(FIXTURES, 'examples'))).toContain('widget.test.statsmoln.io/alpha created');
    const table = await kubectl('get', 'widgets', '-n', 'kubectl-test');
    const lines = table.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SIZE\s+TIER\s+READY\s+AGE$/);
    expect(lines[1]).toMatch(/^alpha\s+10\s+ssd\s+\d+s$/);
    expect(lines[2]).toMatch(/^beta\s+20\s+hdd\s+/);
    expect(await kubectl('get', 'sites')).toMatch(/sto-1\s+SE\s+true/);
    expect(await kubectl('describe', 'widget', 'alpha', '-n', 'kubectl-test')).toMatch(/Size Gi B:\s+10/);
    expect(await kubectl('explain', 'widgets.spec.tier')).toMatch(/ENUM:\s+hdd\s+ssd\s+nvme/);
    // Re-apply a change (client-side apply: a merge patch) and a server-side apply.
    expect(await kubectl('apply', '--server-side', '-f', join(FIXTURES, 'examples'))).toContain('serverside-applied');
    await expect(kubectl('patch', 'widget', 'alpha', '-n', 'kubectl-test', '--type=merge', '-p', '{"spec":{"sizeGiB":1}}')).rejects.toThrow(/sizeGiB can only grow/);
    expect(await kubectl('delete', 'widget', 'alpha', '-n', 'kubectl-test', '--wait=true')).toContain('widget.test.statsmoln.io "alpha" deleted');
    expect(await kubectl('delete', '-f', join(FIXTURES, 'examples'), '--ignore-not-found', '--wait=true')).toContain('namespace "kubectl-test" deleted');
    expect(await kubectl('get', 'widgets', '-A', '-o', 'name')).toBe('');
  });

  const projectReady = existsSync(projectCrds) && projectExamples.length > 0;
  (projectReady ? test : test.skip)('applies the project CRDs and examples/', async () => {
    await kubectl('apply', '-f', projectCrds);
    const applied = await kubectl('apply', '-R', ...projectExamples.flatMap((d) => ['-f', d]));
    expect(applied).toMatch(/created/);
    const tenants = await kubectl('get', 'agencytenants');
    expect(tenants.split('\n')[0]).toMatch(/^NAME\s+/);
    expect(tenants.trim().split('\n').length).toBeGreaterThan(1);
    // Namespaces go first in the files and take their contents with them, hence --ignore-not-found.
    const deleted = await kubectl('delete', '-R', ...projectExamples.flatMap((d) => ['-f', d]), '--ignore-not-found', '--wait=true');
    expect(deleted).toMatch(/agencytenant\.statsmoln\.io "\S+" deleted/);
    expect(await kubectl('get', 'agencytenants', '-o', 'name')).toBe('');
  });
});
