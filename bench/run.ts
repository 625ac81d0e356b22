/** `npm run bench`: runs every benchmark under bench/ in turn, each in its own process, and fails if one fails. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const benches = readdirSync('bench')
  .filter((name) => name.endsWith('-bench.ts'))
  .sort();
let failed = 0;
for (const name of benches) {
  console.log(`== bench/${name}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}`], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
}
if (failed > 0) {
  console.error(`${failed} of ${benches.length} benchmarks failed`);
  process.exit(1);
}
