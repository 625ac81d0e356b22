/**
 * What `statsmoln local` runs: local mode with a live table on the terminal until everything is
 * Ready, then the KUBECONFIG line and the metrics URL; SIGINT/SIGTERM stop everything cleanly.
 */
import { formatProgressTable, startLocalMode, type LocalModeOptions, type LocalProgress } from './local-mode.js';

export interface LocalCliOptions {
  dataDir: string;
  host: string;
  port: number;
  crds: string;
  examples?: string;
  /** Stop as soon as everything is Ready (CI, smoke tests) instead of running until a signal. */
  exitWhenReady?: boolean;
}

export interface LocalCliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * Runs until SIGINT or SIGTERM (or `until` resolves; or, with exitWhenReady, until everything is
 * Ready); resolves once everything stopped, with whether everything became Ready.
 */
export async function runLocalMode(options: LocalCliOptions, out: LocalCliOutput = process.stdout, until?: Promise<void>): Promise<boolean> {
  let drawnLines = 0;
  const draw = (progress: LocalProgress): void => {
    const table = formatProgressTable(progress);
    if (out.isTTY && drawnLines > 0) out.write(`\u001b[${drawnLines}A\u001b[J`);
    else if (!out.isTTY && drawnLines > 0) out.write('\n');
    out.write(`${table}\n`);
    drawnLines = table.split('\n').length;
  };
  const modeOptions: LocalModeOptions = {
    dataDir: options.dataDir,
    host: options.host,
    port: options.port,
    crdsDir: options.crds,
    ...(options.examples ? { examplesDir: options.examples } : {}),
    onProgress: draw,
  };
  out.write(`# starting the embedded API server, OpenStack and Ceph simulators and the operator (state in ${options.dataDir})\n`);
  const local = await startLocalMode(modeOptions);
  out.write(`# API server ${local.apiUrl}; operator log in ${options.dataDir}/operator.log\n`);
  const stopped = new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void until?.then(() => onSignal('SIGTERM'));
  });
  const outcome = await Promise.race([
    local.ready.then(
      () => 'ready' as const,
      (error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`,
    ),
    stopped,
  ]);
  if (outcome.startsWith('failed')) out.write(`# ${outcome}\n`);
  if (outcome === 'ready') {
    out.write(`# everything is Ready\nexport KUBECONFIG=${local.kubeconfigPath}\n# metrics: ${local.metricsUrl}\n# usage events (CloudEvents, JSON lines): ${local.usageEventsPath}\n`);
    if (!options.exitWhenReady) {
      out.write(`# Ctrl-C stops everything; the next start resumes from ${options.dataDir}\n`);
      await stopped;
    }
  }
  out.write('# shutting down\n');
  await local.stop();
  return outcome === 'ready';
}
