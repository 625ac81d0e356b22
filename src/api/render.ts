import { stringify } from 'yaml';
import { allCrds } from './crd.js';

const HEADER = '# Generated from src/api/v1alpha1 by `npm run crds`. Do not edit.\n';

/** File name to YAML text of every CRD, exactly as crds/ must hold them. */
export function renderCrdFiles(): Map<string, string> {
  return new Map(
    allCrds().map(({ fileName, crd }) => [fileName, HEADER + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false })]),
  );
}
