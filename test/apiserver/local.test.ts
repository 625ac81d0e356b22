import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocal } from '../../src/cli/commands/local.js';
import { FIXTURES } from './helpers.js';

describe('statsmoln local', () => {
  test('starts the server, registers the CRDs, writes a kubeconfig and prints the export line', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'statsmoln-local-'));
    const lines: string[] = [];
    const server = await startLocal({ dataDir, host: '127.0.0.1', port: 0, crds: FIXTURES }, (line) => lines.push(line));
    try {
      const kubeconfigPath = join(dataDir, 'kubeconfig');
      expect(lines).toContain(`export KUBECONFIG=${kubeconfigPath}`);
      expect(lines[0]).toBe(`# registered 2 CRDs from ${FIXTURES}`);
      expect(readFileSync(kubeconfigPath, 'utf8')).toContain('certificate-authority-data');
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(kubeconfigPath);
      const namespaces = await kubeConfig.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
