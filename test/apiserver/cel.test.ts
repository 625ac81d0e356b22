import { validateRules } from '../../src/apiserver/cel.js';
import type { FieldError } from '../../src/apiserver/errors.js';
import type { Schema } from '../../src/apiserver/schema.js';
import type { JsonValue } from '../../src/apiserver/types.js';

function check(rule: string, value: JsonValue, schema: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }): FieldError[] {
  const errors: FieldError[] = [];
  validateRules(value, undefined, { ...schema, 'x-kubernetes-validations': [{ rule, message: 'failed' }] }, 'spec', errors);
  return errors;
}

describe('CEL rules: standard library, strings extension and the Kubernetes subset', () => {
  test.each([
    ['isCIDR(self.net)', { net: '10.0.0.0/24' }, true],
    ['isCIDR(self.net)', { net: '10.0.0.0/33' }, false],
    ['isCIDR(self.net)', { net: 'fd00::/64' }, true],
    ['isIP(self.ip)', { ip: '192.168.1.1' }, true],
    ['isIP(self.ip)', { ip: '192.168.1' }, false],
    ['isURL(self.u)', { u: 'https://idp.example.se/realms/x' }, true],
    ['self.xs.isSorted()', { xs: [1, 2, 2, 5] }, true],
    ['self.xs.isSorted()', { xs: ['b', 'a'] }, false],
    ['self.xs.sum() == 6', { xs: [1, 2, 3] }, true],
    ['self.xs.max() == 3 && self.xs.min() == 1', { xs: [3, 1, 2] }, true],
    ["self.s.find('[0-9]+') == '42'", { s: 'abc42def' }, true],
    ["self.s.findAll('[a-z]') == ['a', 'b']", { s: 'a1b2' }, true],
    ["self.name.lowerAscii().startsWith('agency-')", { name: 'AGENCY-x' }, true],
    ['self.items.all(i, i.size() > 0) && self.items.exists(i, i == "x")', { items: ['x', 'y'] }, true],
    ['has(self.a) ? self.a > 0 : true', { b: 1 }, true],
  ])('%s on %j', (rule, value, ok) => {
    expect(check(rule, value as JsonValue)).toEqual(ok ? [] : [{ field: 'spec', reason: 'FieldValueInvalid', message: 'Invalid value: "object": failed' }]);
  });

  test('an unknown function is an evaluation error, reported on the field', () => {
    expect(check("cidr(self.net).prefixLength() == 24", { net: '10.0.0.0/24' })).toEqual([
      { field: 'spec', reason: 'FieldValueInvalid', message: expect.stringMatching(/^Invalid value: "object": rule evaluation error: unbound function/) },
    ]);
  });

  test('messageExpression, reason and fieldPath', () => {
    const errors: FieldError[] = [];
    validateRules({ min: 5, max: 3 }, undefined, {
      type: 'object',
      properties: { min: { type: 'integer' }, max: { type: 'integer' } },
      'x-kubernetes-validations': [{ rule: 'self.min <= self.max', messageExpression: "'min ' + string(self.min) + ' exceeds max ' + string(self.max)", reason: 'FieldValueForbidden', fieldPath: '.max' }],
    }, 'spec', errors);
    expect(errors).toEqual([{ field: 'spec.max', reason: 'FieldValueForbidden', message: 'Forbidden: min 5 exceeds max 3' }]);
  });
});
