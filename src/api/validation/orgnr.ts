/** Swedish organisation numbers (organisationsnummer) as Bolagsverket and Skatteverket define them. */

export type OrgNumberProblem =
  | { kind: 'format' }
  | { kind: 'checksum'; expected: number }
  | { kind: 'not-legal-person'; thirdDigit: number };

const FORMAT = /^[0-9]{6}-[0-9]{4}$/;

/** The Luhn check digit over nine digits, weights 2,1,2,… from the left. */
export function luhnCheckDigit(nineDigits: string): number {
  let sum = 0;
  for (let index = 0; index < nineDigits.length; index += 1) {
    let product = Number(nineDigits[index]) * (index % 2 === 0 ? 2 : 1);
    if (product > 9) product -= 9;
    sum += product;
  }
  return (10 - (sum % 10)) % 10;
}

export function checkOrganisationNumber(value: string): OrgNumberProblem | undefined {
  if (!FORMAT.test(value)) return { kind: 'format' };
  const digits = value.replace('-', '');
  const expected = luhnCheckDigit(digits.slice(0, 9));
  if (Number(digits[9]) !== expected) return { kind: 'checksum', expected };
  const thirdDigit = Number(digits[2]);
  if (thirdDigit < 2) return { kind: 'not-legal-person', thirdDigit };
  return undefined;
}

export function describeOrgNumberProblem(value: string, problem: OrgNumberProblem): string {
  switch (problem.kind) {
    case 'format':
      return `organisation number "${value}" must have the form NNNNNN-NNNN`;
    case 'checksum':
      return `organisation number "${value}" has check digit ${value.slice(-1)}, but its first nine digits give ${problem.expected} (Luhn); check for a typing error`;
    case 'not-legal-person':
      return `organisation number "${value}" has third digit ${problem.thirdDigit}; legal persons such as agencies have a third digit of 2 or more (this looks like a personal identity number)`;
  }
}
