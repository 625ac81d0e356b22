import { parseCloudsYaml, type CloudsYamlOptions } from './clouds.js';
import { IdentityClient } from './keystone.js';
import { ComputeClient } from './nova.js';
import { BlockStorageClient } from './cinder.js';
import { NetworkClient } from './neutron.js';
import { KeystoneSession, type SessionOptions } from './session.js';

export * from './clouds.js';
export * from './errors.js';
export * from './session.js';
export * from './service.js';
export * from './keystone.js';
export * from './nova.js';
export * from './cinder.js';
export * from './neutron.js';
export * from '../http/errors.js';

/** Typed clients of one OpenStack cloud (one region), sharing a Keystone session. */
export class OpenStackClients {
  readonly identity: IdentityClient;
  readonly compute: ComputeClient;
  readonly blockStorage: BlockStorageClient;
  readonly network: NetworkClient;

  constructor(readonly session: KeystoneSession) {
    this.identity = new IdentityClient(session);
    this.compute = new ComputeClient(session);
    this.blockStorage = new BlockStorageClient(session);
    this.network = new NetworkClient(session);
  }

  /** Clients from the text of a clouds.yaml (as stored in a Secret) and a cloud name. */
  static fromCloudsYaml(
    yamlText: string,
    cloudName: string,
    options: SessionOptions & CloudsYamlOptions = {},
  ): OpenStackClients {
    const config = parseCloudsYaml(yamlText, cloudName, options);
    return new OpenStackClients(new KeystoneSession(config, options));
  }

  /** The same credentials acting in another project (admin managing an agency project). */
  forProject(projectId: string): OpenStackClients {
    return new OpenStackClients(this.session.scopedToProject(projectId));
  }

  close(): void {
    this.session.close();
  }
}
