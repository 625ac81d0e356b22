/**
 * One self-contained ES module for an entry point, with the third-party licences beside it. The
 * image runs `statsmoln` from such a bundle: tree-shaking leaves out the generated API client of
 * @kubernetes/client-node, which the operator never calls (it uses only KubeConfig), and whose
 * module sources alone kept about 17 MB of strings in the heap. `npm run bundle` writes
 * dist/statsmoln.mjs and dist/statsmoln.mjs.LICENSES.txt.
 */
import { build } from 'esbuild';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_ENTRY = 'src/cli/main.ts';
export const CLI_BUNDLE = 'dist/statsmoln.mjs';

const LICENSE_FILE = /^(licen[cs]e|unlicense|copying)([.-]|$)/i;

/** Bundles `entry` into `outfile` (relative to `root`, or absolute) and lists the licences of what went in beside it. */
export async function bundle(entry: string, outfile: string, root = process.cwd()): Promise<void> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    // Some CommonJS dependencies call require() for Node's own modules; an ES module has none.
    banner: { js: "import { createRequire as statsmolnCreateRequire } from 'node:module'; const require = statsmolnCreateRequire(import.meta.url);" },
  });
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1]) packages.add(match[1]);
  }
  const sections = [...packages].sort().map((name) => {
    const directory = join(root, 'node_modules', name);
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { version?: string; license?: string };
    const file = readdirSync(directory).find((candidate) => LICENSE_FILE.test(candidate));
    const text = file ? readFileSync(join(directory, file), 'utf8').trim() : `The package ships no licence file; its package.json declares ${manifest.license ?? 'no licence'}.`;
    return `${name} ${manifest.version ?? ''} (${manifest.license ?? 'no licence declared'})\n\n${text}\n`;
  });
  writeFileSync(`${resolve(root, outfile)}.LICENSES.txt`, `Third-party software in ${outfile}\n\n${sections.join('\n---\n\n')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle(CLI_ENTRY, CLI_BUNDLE);
}
