/**
 * The controllers the operator runs besides the DataCenter's (which startOperator always adds), and
 * that `statsmoln plan` consults: one line per kind.
 */
import { createAgencyTenantActuator } from '../controllers/agencytenant/index.js';
import { createComputeQuotaActuator } from '../controllers/computequota/index.js';
import { createStorageVolumeActuator } from '../controllers/storagevolume/index.js';
import { actuatorRegistration, type ControllerRegistration } from './registration.js';

export function defaultRegistrations(): ControllerRegistration[] {
  return [
    actuatorRegistration(createAgencyTenantActuator),
    actuatorRegistration(createComputeQuotaActuator), actuatorRegistration(createStorageVolumeActuator),
  ];
}
