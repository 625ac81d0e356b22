/** The YAML of deploy/, read as the tests need it. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Every document of a YAML file; a syntax error names the file. */
export function readYamlDocuments(file: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
    const object = document.toJS() as Record<string, unknown> | null;
    return object ? [object] : [];
  });
}

/** What `kubectl apply -f deploy/` applies: the objects of deploy/*.yaml, files in name order. */
export function deployManifests(): Array<Record<string, unknown>> {
  return readdirSync('deploy')
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => readYamlDocuments(join('deploy', file)));
}
