/**
 * The controllers the operator runs besides the DataCenter's (which startOperator always adds), and
 * that `statsmoln plan` consults. At merge each kind is one line here, for example:
 *   actuatorRegistration(createAgencyTenantActuator),
 *   actuatorRegistration(createComputeQuotaActuator),
 *   actuatorRegistration(createStorageVolumeActuator),
 */
import type { ControllerRegistration } from './registration.js';

export function defaultRegistrations(): ControllerRegistration[] {
  return [];
}
