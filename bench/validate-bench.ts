/**
 * statsmoln validate throughput: 10,000 generated documents (tenants with their quotas, volumes and
 * SLAs, against the example data centers and price list) in 100 files. Target: >= 10,000 documents/s.
 *
 * Each run is a fresh process, cold as a CI job's `statsmoln validate` is; the median of three runs
 * is held to the target, because one run lasts about a second and a busy moment on the shared host
 * moves it by a third.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { validateFiles } from '../src/cli/validate/run.js';
import { medianBy } from './median.js';

const RUNS = 3;
const TARGET = 10_000;

const DOCUMENTS = 10_000;
const FILES = 100;
const PER_TENANT = 5; // tenant, quota, two volumes, SLA

function tenantDocuments(index: number): object[] {
  const name = `agency-${index}`;
  const namespace = `agency-${name}`;
  const nine = `2021${String(index).padStart(5, '0')}`;
  let sum = 0;
  for (let position = 0; position < 9; position += 1) {
    let product = Number(nine[position]) * (position % 2 === 0 ? 2 : 1);
    if (product > 9) product -= 9;
    sum += product;
  }
  const organisationNumber = `${nine.slice(0, 6)}-${nine.slice(6)}${(10 - (sum % 10)) % 10}`;
  const volume = (suffix: string, tier: string) => ({
    apiVersion: 'statsmoln.io/v1alpha1',
    kind: 'StorageVolume',
    metadata: { name: `data-${suffix}`, namespace },
    spec: { dataCenter: 'sto-1', environment: 'production', sizeGiB: 100, tier, encrypted: true },
  });
  return [
    {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'AgencyTenant',
      metadata: { name },
      spec: {
        displayName: `Agency ${index}`,
        organisationNumber,
        classification: { confidentiality: 2, integrity: 2, availability: 2 },
        environments: ['production', 'test'],
        placement: { dataCenters: ['sto-1', 'gbg-1'] },
        identity: { oidc: { issuer: 'https://idp.example.se', clientId: 'statsmoln' }, roleBindings: [{ group: 'admins', role: 'admin' }] },
        network: {
          addressPlan: ['sto-1', 'gbg-1'].flatMap((dataCenter, site) =>
            ['production', 'test'].map((environment, env) => ({ dataCenter, environment, cidrs: [`10.${site * 2 + env}.0.0/16`] })),
          ),
        },
        billing: { reference: `REF-${index}`, priceListRef: { name: 'standard-2026' } },
      },
    },
    {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'ComputeQuota',
      metadata: { name: 'sto-1-production', namespace },
      spec: { dataCenter: 'sto-1', environment: 'production', cores: 64, ramGiB: 256, instances: 20, serverGroups: 4, floatingIps: 2 },
    },
    volume('a', 'flash'),
    volume('b', 'hdd'),
    {
      apiVersion: 'statsmoln.io/v1alpha1',
      kind: 'SLA',
      metadata: { name: 'main', namespace },
      spec: { services: ['compute', 'storage'], availabilityTarget: '99.9', rpoMinutes: 15, rtoMinutes: 60, minDataCenters: 2 },
    },
  ];
}

interface RunFigures {
  documents: number;
  files: number;
  seconds: number;
  rate: number;
  rssMiB: number;
}

/** One cold validation of the directory, in this process. */
async function measure(directory: string): Promise<RunFigures> {
  const start = process.hrtime.bigint();
  const report = await validateFiles([directory]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const errors = report.findings.filter((finding) => finding.severity === 'error');
  if (errors.length > 0) throw new Error(`generated documents should be valid; first error: ${errors[0]?.message}`);
  return { documents: report.documents, files: report.files, seconds, rate: report.documents / seconds, rssMiB: process.memoryUsage().rss / 1024 / 1024 };
}

async function generate(directory: string): Promise<void> {
  await mkdir(join(directory, 'platform'));
  await cp('examples/platform', join(directory, 'platform'), { recursive: true });
  const tenants = DOCUMENTS / PER_TENANT;
  const perFile = tenants / FILES;
  for (let file = 0; file < FILES; file += 1) {
    const documents = Array.from({ length: perFile }, (_, offset) => tenantDocuments(file * perFile + offset)).flat();
    await writeFile(join(directory, `agencies-${file}.yaml`), documents.map((document) => stringify(document)).join('---\n'));
  }
}

if (process.argv[2] === '--measure' && process.argv[3]) {
  console.log(JSON.stringify(await measure(process.argv[3])));
} else {
  const directory = await mkdtemp(join(tmpdir(), 'statsmoln-bench-'));
  try {
    await generate(directory);
    const runs: RunFigures[] = [];
    for (let run = 1; run <= RUNS; run += 1) {
      const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--measure', directory], { encoding: 'utf8' });
      const figures = JSON.parse(output.trim().split('\n').at(-1) ?? '') as RunFigures;
      runs.push(figures);
      console.log(
        `validate run ${run} of ${RUNS}: ${figures.documents} documents in ${figures.files} files, ${figures.seconds.toFixed(3)} s, ${Math.round(figures.rate)} documents/s, peak RSS ${Math.round(figures.rssMiB)} MiB`,
      );
    }
    const median = medianBy(runs, (run) => -run.rate);
    console.log(
      `validate: median of ${RUNS} fresh processes ${Math.round(median.rate)} documents/s (${runs.map((run) => Math.round(run.rate)).join(', ')}), target >= ${TARGET}: ${median.rate >= TARGET ? 'met' : 'NOT met'}`,
    );
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
