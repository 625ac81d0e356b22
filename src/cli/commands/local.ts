import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startApiServer, type ApiServer } from '../../apiserver/index.js';
import { runLocalMode } from '../../operator/local-cli.js';

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
    .description('Run the whole system locally: embedded API server, OpenStack and Ceph simulators, the operator, and the examples applied')
    .option('--data-dir <dir>', 'directory for the persisted state and the kubeconfig', '.statsmoln')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 6443)
    .option('--crds <dir>', 'directory of CustomResourceDefinition YAML files', 'crds')
    .option('--examples <dir>', 'example manifests to apply (examples/invalid is skipped)', 'examples')
    .option('--exit-when-ready', 'stop once everything is Ready (exit 1 if it is not within --ready-timeout)', false)
    .option('--ready-timeout <seconds>', 'with --exit-when-ready: how long to wait', parsePositive, 300)
    .action(async (options: LocalOptions & { examples: string; exitWhenReady: boolean; readyTimeout: number }) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = options.exitWhenReady
        ? new Promise<void>((resolve) => {
            timer = setTimeout(resolve, options.readyTimeout * 1000);
          })
        : undefined;
      const ready = await runLocalMode(options, process.stdout, deadline);
      clearTimeout(timer);
      if (!ready && options.exitWhenReady) {
        console.error(`statsmoln local: not everything was Ready within ${options.readyTimeout} s`);
        process.exitCode = 1;
      }
    });
}

function parsePositive(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`not a positive number of seconds: ${value}`);
  return seconds;
}
