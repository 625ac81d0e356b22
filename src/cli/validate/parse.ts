import jsYaml from 'js-yaml';
import { LineCounter, parseAllDocuments, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import type { FieldPath } from '../../api/validation/index.js';

export interface Position {
  line: number;
  col: number;
}

export interface ParsedDocument {
  /** The document as plain data; undefined for an empty document. */
  object: unknown;
  /** Where a field path lies in the file: the key of the deepest field that exists. */
  locate(path: FieldPath): Position;
}

export interface ParseProblem {
  position: Position;
  message: string;
}

export interface ParsedFile {
  documents: ParsedDocument[];
  problems: ParseProblem[];
}

const START: Position = { line: 1, col: 1 };

/**
 * Parses a multi-document YAML file. js-yaml reads the data quickly; positions and error messages
 * come from a second, slower parse with `yaml`, done only when a document has a finding or the
 * file does not parse.
 */
export function parseManifestText(text: string): ParsedFile {
  let objects: unknown[];
  try {
    objects = jsYaml.loadAll(text, undefined, { schema: jsYaml.CORE_SCHEMA });
  } catch {
    return parseWithPositions(text);
  }
  let withPositions: ParsedFile | undefined;
  return {
    problems: [],
    documents: objects.map((object, index) => ({
      object: object ?? undefined,
      locate: (path) => (withPositions ??= parseWithPositions(text)).documents[index]?.locate(path) ?? START,
    })),
  };
}

function parseWithPositions(text: string): ParsedFile {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const positionAt = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  if (!Array.isArray(documents)) return { documents: [], problems: [] };
  const problems: ParseProblem[] = [];
  const parsed: ParsedDocument[] = [];
  for (const document of documents) {
    const [failure] = document.errors;
    if (failure) {
      // Later errors of a broken document are mostly consequences of the first.
      const keyAtError = /^[^\s:#]+/.exec(text.slice(failure.pos[0]))?.[0] ?? '';
      problems.push({ position: positionAt(failure.pos[0]), message: describeYamlError(failure.code, failure.message, keyAtError) });
      parsed.push({ object: undefined, locate: () => START });
      continue;
    }
    const start = document.contents?.range[0] ?? document.range[0];
    parsed.push({
      object: document.contents === null ? undefined : document.toJS({ maxAliasCount: 100 }),
      locate: (path) => positionAt(offsetOf(document, path) ?? start),
    });
  }
  return { documents: parsed, problems };
}

function describeYamlError(code: string, message: string, keyAtError: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  if (code === 'DUPLICATE_KEY') return `duplicate key "${keyAtError}": a key may appear only once in a mapping`;
  return `malformed YAML: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`;
}

function offsetOf(document: Document, path: FieldPath): number | undefined {
  let node: Node | null | undefined = document.contents as Node | null;
  let offset = node?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === segment);
      if (!pair || !isPair(pair)) return offset;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else return offset;
  }
  return offset;
}
