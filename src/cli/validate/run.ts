import { readFile } from 'node:fs/promises';
import { formatPath, isStatsmolnManifest, validateObjects, type Severity } from '../../api/validation/index.js';
import { discoverManifests } from './discover.js';
import { parseManifestText, type ParsedDocument, type Position } from './parse.js';

export interface Finding {
  file: string;
  line: number;
  col: number;
  severity: Severity;
  /** kind/name, or kind/namespace/name; empty for file-level problems. */
  object: string;
  field: string;
  message: string;
  rule: string;
}

export interface ValidationReport {
  files: number;
  documents: number;
  objects: number;
  skipped: number;
  findings: Finding[];
}

interface Located {
  file: string;
  document: ParsedDocument;
  object: Record<string, unknown>;
}

const fileFinding = (file: string, position: Position, rule: string, message: string): Finding => ({
  file,
  ...position,
  severity: 'error',
  object: '',
  field: '',
  message,
  rule,
});

function readAhead(file: string | undefined): Promise<string> | undefined {
  if (file === undefined) return undefined;
  const reading = readFile(file, 'utf8');
  // Marked handled here; the loop awaits it and gets the error, unless something else failed first.
  reading.catch(() => undefined);
  return reading;
}

/** Reads every manifest under the paths and validates the statsmoln objects among them as one set. */
export async function validateFiles(paths: readonly string[]): Promise<ValidationReport> {
  const files = await discoverManifests(paths);
  const findings: Finding[] = [];
  const located: Located[] = [];
  let documents = 0;
  let skipped = 0;
  // The next file is read while this one is parsed and checked, so the reads do not idle the CPU.
  let nextRead = readAhead(files[0]);
  for (const [position, file] of files.entries()) {
    const text = await (nextRead ?? readFile(file, 'utf8'));
    nextRead = readAhead(files[position + 1]);
    const parsed = parseManifestText(text);
    for (const problem of parsed.problems) findings.push(fileFinding(file, problem.position, 'yaml', problem.message));
    const nonEmpty = parsed.documents.filter((document) => document.object !== undefined && document.object !== null);
    if (nonEmpty.length === 0 && parsed.problems.length === 0) {
      findings.push(fileFinding(file, { line: 1, col: 1 }, 'yaml.empty', 'empty file: no YAML document in it'));
    }
    for (const document of nonEmpty) {
      documents += 1;
      const object = document.object;
      if (typeof object !== 'object' || object === null || Array.isArray(object)) {
        findings.push(
          fileFinding(file, document.locate([]), 'yaml.not-object', 'document is not a Kubernetes object (a mapping with apiVersion and kind)'),
        );
        continue;
      }
      const manifest = object as Record<string, unknown>;
      if (typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string') {
        findings.push(fileFinding(file, document.locate([]), 'yaml.not-object', 'document has no apiVersion and kind'));
        continue;
      }
      if (!isStatsmolnManifest(manifest)) {
        skipped += 1;
        continue;
      }
      located.push({ file, document, object: manifest });
    }
  }
  const issues = validateObjects(located.map((entry) => entry.object));
  located.forEach((entry, index) => {
    for (const issue of issues[index] ?? []) {
      findings.push({
        file: entry.file,
        ...entry.document.locate(issue.path),
        severity: issue.severity,
        object: objectLabel(entry.object),
        field: formatPath(issue.path),
        message: issue.message,
        rule: issue.rule,
      });
    }
  });
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  return { files: files.length, documents, objects: located.length, skipped, findings };
}

function objectLabel(object: Record<string, unknown>): string {
  const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const name = typeof metadata.name === 'string' ? metadata.name : '<unnamed>';
  const namespace = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
  return `${String(object.kind)}/${namespace}${name}`;
}

export function formatFinding(finding: Finding): string {
  const where = `${finding.file}:${finding.line}:${finding.col}`;
  const what = [finding.object, finding.field].filter((part) => part !== '').join(' ');
  const prefix = finding.severity === 'warning' ? 'warning: ' : '';
  return what === '' ? `${where}: ${prefix}${finding.message}` : `${where} ${what}: ${prefix}${finding.message}`;
}

export function summarize(report: ValidationReport): string {
  const errors = report.findings.filter((finding) => finding.severity === 'error').length;
  const warnings = report.findings.length - errors;
  return `${report.files} files, ${report.documents} documents: ${report.objects} statsmoln objects validated, ${report.skipped} other objects skipped; ${errors} errors, ${warnings} warnings`;
}
