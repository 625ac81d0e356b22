import type { KubeObject, SharedInformer } from '../../runtime/index.js';
import type { BackendRegistry } from '../framework/index.js';

/**
 * The operator's shared informers. The `operator` engineer owns the real declaration in
 * src/operator/informers.ts; this structural copy keeps the same names until the merge.
 */
export interface OperatorInformers {
  dataCenters: SharedInformer<KubeObject>;
  tenants: SharedInformer<KubeObject>;
  priceLists: SharedInformer<KubeObject>;
  quotas: SharedInformer<KubeObject>;
  volumes: SharedInformer<KubeObject>;
  slas: SharedInformer<KubeObject>;
}

export interface ControllerDeps {
  registry: BackendRegistry;
  informers: OperatorInformers;
  /** Wall clock for kind-specific condition times; Date.now unless a test injects one. */
  now?: () => number;
}
