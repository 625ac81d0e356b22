import { cinderSpec } from './cinder.js';
import { neutronSpec, SIM_EXTERNAL_NETWORK } from './neutron.js';
import { novaSpec, SIM_IMAGE_ID } from './nova.js';
import { SimulatorServer, type RegionalServiceSpec, type SimulatorOptions } from './server.js';

export * from './core.js';
export * from './faults.js';
export * from './keystone.js';
export * from './server.js';
export * from './nova.js';
export * from './cinder.js';
export * from './neutron.js';

/** The regional services every simulator serves unless told otherwise. */
export const DEFAULT_SERVICES: RegionalServiceSpec[] = [novaSpec, cinderSpec, neutronSpec];

/** Facts about the simulated cloud that tests need (the real environment writes the same to a file). */
export interface SimulatorFacts {
  externalNetworkName?: string;
  imageId?: string;
  flavorName?: string;
  volumeType?: string;
}

/** The OpenStack simulator with Keystone, Nova, Cinder and Neutron in every region. */
export class OpenStackSimulator extends SimulatorServer {
  constructor(options: SimulatorOptions = {}) {
    super({ ...options, services: options.services ?? DEFAULT_SERVICES });
  }

  facts(): SimulatorFacts {
    return { imageId: SIM_IMAGE_ID, flavorName: 'm1.tiny', volumeType: 'standard', externalNetworkName: SIM_EXTERNAL_NETWORK };
  }
}
