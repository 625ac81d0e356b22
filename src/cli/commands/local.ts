import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startApiServer, type ApiServer } from '../../apiserver/index.js';

export interface LocalOptions {
  dataDir: string;
  host: string;
  port: number;
  crds: string;
}

/** Starts the embedded API server with the project's CRDs; resolves with the running server. */
export async function startLocal(options: LocalOptions, log: (line: string) => void = console.log): Promise<ApiServer> {
  const dataDir = resolve(options.dataDir);
  const server = await startApiServer({ host: options.host, port: options.port, dataDir });
  const crdDir = resolve(options.crds);
  if (existsSync(crdDir)) {
    const names = await server.registerCrdsFromDir(crdDir);
    log(`# registered ${names.length} CRDs from ${crdDir}`);
  } else log(`# no CRD directory at ${crdDir}; serving built-in kinds only`);
  const kubeconfig = await server.writeKubeconfig(join(dataDir, 'kubeconfig'));
  log(`# embedded Kubernetes API server at ${server.url} (state in ${dataDir})`);
  log(`export KUBECONFIG=${kubeconfig}`);
  return server;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${value}`);
  return port;
}

export function registerLocal(program: Command): void {
  program
    .command('local')
    .description('Run the embedded Kubernetes-compatible API server with the statsmoln CRDs, and print the KUBECONFIG to use with kubectl')
    .option('--data-dir <dir>', 'directory for the persisted state and the kubeconfig', '.statsmoln')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 6443)
    .option('--crds <dir>', 'directory of CustomResourceDefinition YAML files', 'crds')
    .action(async (options: LocalOptions) => {
      const server = await startLocal(options);
      await new Promise<void>((done) => {
        const stop = (signal: NodeJS.Signals): void => {
          console.error(`statsmoln local: ${signal}, shutting down`);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
