import { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { RUN_ENVIRONMENT, resolveRunConfig, type RunFlags } from '../../operator/config.js';
import { defaultRegistrations } from '../../operator/controllers.js';
import { startOperator } from '../../operator/operator.js';

const env = (key: keyof RunFlags): string => `(env ${RUN_ENVIRONMENT[key]})`;

/** `statsmoln run`: the operator against a real cluster (in-cluster config or KUBECONFIG). */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run the operator against a Kubernetes cluster (in-cluster service account, or KUBECONFIG)')
    .option('--operator-namespace <ns>', `namespace of the credential Secrets ${env('operatorNamespace')}; default statsmoln-system`)
    .option('--concurrency <n>', `reconcile workers per controller ${env('concurrency')}; default 2`)
    .option('--resync-period <duration>', `full resync of every informer, 0 to disable ${env('resyncPeriod')}; default 10m`)
    .option('--check-interval <duration>', `how often DataCenter backends are checked ${env('checkInterval')}; default 60s`)
    .option('--backend-timeout <duration>', `timeout of every backend call ${env('backendTimeout')}; default 30s`)
    .option('--backend-concurrency <n>', `OpenStack and Ceph requests in flight at once, across all controllers ${env('backendConcurrency')}; default 32`)
    .option('--leader-elect', `elect a leader through a Lease (for more than one replica) ${env('leaderElect')}`)
    .option('--leader-election-namespace <ns>', `namespace of the Lease ${env('leaderElectionNamespace')}; default the operator namespace`)
    .option('--lease-name <name>', `name of the Lease ${env('leaseName')}; default statsmoln-operator`)
    .option('--metrics-address <host:port>', `probe and metrics server, 0 to disable ${env('metricsAddress')}; default :8080`)
    .option('--log-level <level>', `fatal, error, warn, info, debug, trace or silent ${env('logLevel')}; default info`)
    .option('--metering-dir <dir>', `turn metering on: outbox and samples in this directory (a persistent volume) ${env('meteringDir')}`)
    .option('--metering-sink <sinks>', `comma-separated file:<path>, http:<url>, nats:<url> ${env('meteringSink')}`)
    .option('--metering-source <uri>', `CloudEvents source of usage events ${env('meteringSource')}; default /statsmoln/<operator namespace>`)
    .option('--sample-interval <duration>', `time between usage sweeps ${env('sampleInterval')}; default 60s`)
    .option('--collect-interval <duration>', `time between collection runs ${env('collectInterval')}; default 5m`)
    .action(async (flags: RunFlags) => {
      const config = resolveRunConfig(flags, process.env);
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromDefault();
      const operator = await startOperator({ ...config, kubeConfig, registrations: defaultRegistrations(), handleSignals: true });
      const reason = await operator.wait();
      // Lost leadership: exit non-zero so that the pod restarts and campaigns again.
      if (reason === 'leadership-lost') process.exitCode = 1;
    });
}
