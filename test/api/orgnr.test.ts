import fc from 'fast-check';
import { checkOrganisationNumber, luhnCheckDigit } from '../../src/api/validation/index.js';

const nineDigits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 }).map((digits) => digits.join(''));
const format = (nine: string, check: number) => `${nine.slice(0, 6)}-${nine.slice(6)}${check}`;

describe('organisation numbers', () => {
  it('accepts real agencies', () => {
    for (const number of ['202100-5448', '202100-0076', '202100-5489', '556016-0680']) {
      expect(checkOrganisationNumber(number)).toBeUndefined();
    }
  });

  it('computes Luhn check digits as Skatteverket does', () => {
    expect(luhnCheckDigit('202100544')).toBe(8);
    expect(luhnCheckDigit('556016068')).toBe(0);
  });

  it('rejects the wrong form', () => {
    for (const number of ['2021005448', '202100-544', '20210-05448', '202100–5448', ' 202100-5448']) {
      expect(checkOrganisationNumber(number)).toEqual({ kind: 'format' });
    }
  });

  it('accepts every legal-person number with its check digit (property)', () => {
    fc.assert(
      fc.property(nineDigits.filter((nine) => Number(nine[2]) >= 2), (nine) => {
        expect(checkOrganisationNumber(format(nine, luhnCheckDigit(nine)))).toBeUndefined();
      }),
      { seed: 20261122 },
    );
  });

  it('rejects every other check digit (property)', () => {
    fc.assert(
      fc.property(nineDigits, fc.integer({ min: 1, max: 9 }), (nine, offset) => {
        const wrong = (luhnCheckDigit(nine) + offset) % 10;
        expect(checkOrganisationNumber(format(nine, wrong))).toMatchObject({ kind: 'checksum' });
      }),
      { seed: 20261122 },
    );
  });

  it('detects every single-digit typing error (property)', () => {
    fc.assert(
      fc.property(nineDigits, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 9 }), (nine, position, offset) => {
        const typo = nine.slice(0, position) + String((Number(nine[position]) + offset) % 10) + nine.slice(position + 1);
        expect(checkOrganisationNumber(format(typo, luhnCheckDigit(nine)))?.kind).toBe('checksum');
      }),
      { seed: 20261122 },
    );
  });

  it('rejects personal identity numbers (third digit below 2)', () => {
    fc.assert(
      fc.property(nineDigits.filter((nine) => Number(nine[2]) < 2), (nine) => {
        expect(checkOrganisationNumber(format(nine, luhnCheckDigit(nine)))).toEqual({
          kind: 'not-legal-person',
          thirdDigit: Number(nine[2]),
        });
      }),
      { seed: 20261122 },
    );
  });
});
