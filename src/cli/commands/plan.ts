import { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { defaultRegistrations } from '../../operator/controllers.js';
import { loadManifests } from '../../operator/manifests.js';
import { DEFAULT_OPERATOR_NAMESPACE } from '../../operator/operator.js';
import { computePlan, formatPlan, planJson } from '../../operator/plan.js';
import { parseDuration } from '../../operator/config.js';
import { KubeClient } from '../../runtime/index.js';

interface PlanFlags {
  filename?: string[];
  output: string;
  operatorNamespace?: string;
  backendTimeout: string;
}

/** `statsmoln plan`: the backend actions each controller would take, without taking them. */
export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('Show the backend actions the controllers would take for the given manifests, or for the cluster (KUBECONFIG), without taking them')
    .option('-f, --filename <paths...>', 'manifest files or directories to plan (default: every object in the cluster)')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--operator-namespace <ns>', 'namespace of the credential Secrets (env STATSMOLN_OPERATOR_NAMESPACE)')
    .option('--backend-timeout <duration>', 'timeout of every backend call', '30s')
    .action(async (flags: PlanFlags) => {
      if (flags.output !== 'text' && flags.output !== 'json') throw new Error(`--output must be text or json, not ${flags.output}`);
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromDefault();
      const manifests = flags.filename ? (await loadManifests(flags.filename)).map((entry) => entry.object) : undefined;
      const plans = await computePlan({
        client: new KubeClient({ kubeConfig }),
        operatorNamespace: flags.operatorNamespace ?? process.env.STATSMOLN_OPERATOR_NAMESPACE ?? DEFAULT_OPERATOR_NAMESPACE,
        registrations: defaultRegistrations(),
        ...(manifests ? { manifests } : {}),
        backendTimeoutMs: parseDuration(flags.backendTimeout, 'backend timeout'),
      });
      process.stdout.write(flags.output === 'json' ? `${JSON.stringify(planJson(plans), null, 2)}\n` : `${formatPlan(plans)}\n`);
      if (plans.some((plan) => plan.error)) process.exitCode = 1;
    });
}
