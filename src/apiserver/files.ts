import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { ApiCore } from './core.js';
import { isJsonObject, type KubeObject } from './types.js';

/** Reads every CustomResourceDefinition in the YAML/JSON files of a directory and registers it. */
export async function registerCrdsFromDir(core: ApiCore, dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  const names: string[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0) throw new Error(`${join(dir, file)}: ${document.errors[0]?.message ?? 'invalid YAML'}`);
      const value: unknown = document.toJSON();
      if (!isJsonObject(value) || value.kind !== 'CustomResourceDefinition') continue;
      const stored = core.applyCrd(value as unknown as KubeObject);
      names.push(stored.metadata.name ?? '');
    }
  }
  return names;
}

/** Writes a kubeconfig with one cluster, user and context named `statsmoln-local`. */
export async function writeKubeconfig(path: string, url: string, token: string, caData?: string): Promise<string> {
  const cluster: Record<string, string> = { server: url };
  if (caData) cluster['certificate-authority-data'] = Buffer.from(caData).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'statsmoln-local', cluster }],
    users: [{ name: 'statsmoln-local', user: token ? { token } : {} }],
    contexts: [{ name: 'statsmoln-local', context: { cluster: 'statsmoln-local', user: 'statsmoln-local', namespace: 'default' } }],
    'current-context': 'statsmoln-local',
    preferences: {},
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}
