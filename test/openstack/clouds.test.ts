import { CloudConfigError, parseCloudsYaml } from '../../src/backends/openstack/clouds.js';

const password = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.example.se:5000/v3
      username: statsmoln
      password: s3cret-pass
      project_name: admin
      user_domain_name: Default
      project_domain_id: default
    region_name: sto1
    interface: internal
    cacert: /etc/openstack/ca.pem
    verify: true
`;

describe('clouds.yaml', () => {
  test('password auth with domains by name and id, region, interface and a CA from the Secret', () => {
    const config = parseCloudsYaml(password, 'prod', { files: { 'ca.pem': '-----BEGIN CERTIFICATE-----\nX\n' } });
    expect(config.auth).toEqual({
      type: 'password',
      authUrl: 'https://keystone.example.se:5000/v3',
      user: { name: 'statsmoln', domain: { name: 'Default' } },
      password: 's3cret-pass',
    });
    expect(config.scope).toEqual({ kind: 'project', project: { name: 'admin', domain: { id: 'default' } } });
    expect(config.regionName).toBe('sto1');
    expect(config.interface).toBe('internal');
    expect(config.caCert).toContain('BEGIN CERTIFICATE');
    expect(config.verify).toBe(true);
  });

  test('application credential by id, verify false, internalURL spelling', () => {
    const config = parseCloudsYaml(
      `clouds:\n  ac:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: http://k:5000\n      application_credential_id: abc\n      application_credential_secret: xyz-secret\n    interface: internalURL\n    verify: false\n`,
      'ac',
    );
    expect(config.auth).toEqual({ type: 'application_credential', authUrl: 'http://k:5000', applicationCredential: { id: 'abc' }, secret: 'xyz-secret' });
    expect(config.interface).toBe('internal');
    expect(config.verify).toBe(false);
    expect(config.scope).toEqual({ kind: 'unscoped' });
  });

  test('application credential by name needs the user', () => {
    expect(() =>
      parseCloudsYaml(`clouds:\n  ac:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: http://k\n      application_credential_name: n\n      application_credential_secret: s\n`, 'ac'),
    ).toThrow(/needs auth.username/);
  });

  test.each([
    ['clouds: [', /not valid YAML/],
    ['foo: 1', /no `clouds` mapping/],
    ['clouds:\n  other: {}\n', /no cloud named "prod" \(has: other\)/],
    ['clouds:\n  prod:\n    auth:\n      username: u\n      password: p\n', /auth_url/],
    ['clouds:\n  prod:\n    auth:\n      auth_url: http://k\n      username: u\n      password: p1234567\n      project_name: x\n', /user_domain_name/],
    ['clouds:\n  prod:\n    auth_type: token\n    auth:\n      auth_url: http://k\n', /auth_type token is not supported/],
    ['clouds:\n  prod:\n    interface: weird\n    auth:\n      auth_url: http://k\n      user_id: u\n      password: p\n', /interface weird/],
  ])('rejects %j', (yaml, message) => {
    expect(() => parseCloudsYaml(yaml, 'prod')).toThrow(CloudConfigError);
    expect(() => parseCloudsYaml(yaml, 'prod')).toThrow(message);
  });

  test('errors never contain the password', () => {
    const yaml = 'clouds:\n  prod:\n    auth:\n      auth_url: http://k\n      username: u\n      password: Very-Secret-99\n';
    expect(() => parseCloudsYaml(yaml, 'prod')).toThrow(CloudConfigError);
    try {
      parseCloudsYaml(yaml, 'prod');
    } catch (error) {
      expect(String(error)).not.toContain('Very-Secret-99');
    }
  });

  test('a cacert that is neither in the Secret nor readable is a clear error', () => {
    expect(() =>
      parseCloudsYaml(password, 'prod', {
        readFile: () => {
          throw new Error('ENOENT');
        },
      }),
    ).toThrow(/cacert \/etc\/openstack\/ca.pem is neither a key of the Secret nor a readable file/);
  });
});
