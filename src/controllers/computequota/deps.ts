import type { OperatorInformers } from '../../operator/informers.js';
import type { BackendRegistry } from '../framework/index.js';

export type { OperatorInformers } from '../../operator/informers.js';

export interface ControllerDeps {
  registry: BackendRegistry;
  informers: OperatorInformers;
  /** Wall clock for kind-specific condition times; Date.now unless a test injects one. */
  now?: () => number;
}
