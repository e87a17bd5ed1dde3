import { describe, expect, it } from 'vitest';
import { UserContextError, userContextFromStrings } from './user-context.ts';

const declared = {
  organisationId: 'integer',
  countries: 'string[]',
  ids: 'integer[]',
  admin: 'boolean',
  region: 'string',
} as const;
const base = { organisationId: '1', ids: '1', admin: 'false', region: 'eu' };

describe('userContextFromStrings (CLI --context key=value)', () => {
  it('reads a JSON array for a list field', () => {
    const ctx = userContextFromStrings(declared, { ...base, countries: '["DE","FR"]', ids: '[3, 4]' });
    expect(ctx.countries).toEqual(['DE', 'FR']);
    expect(ctx.ids).toEqual([3, 4]);
  });

  it('reads a comma list for a list field, and one value as a list of one', () => {
    expect(userContextFromStrings(declared, { ...base, countries: 'DE, FR' }).countries).toEqual([
      'DE',
      'FR',
    ]);
    expect(userContextFromStrings(declared, { ...base, countries: 'DE', ids: '7,8' })).toMatchObject({
      countries: ['DE'],
      ids: [7, 8],
    });
  });

  it('reads scalars by their declared types', () => {
    const ctx = userContextFromStrings(declared, {
      ...base,
      countries: 'DE',
      admin: 'true',
      organisationId: '42',
    });
    expect(ctx).toMatchObject({ organisationId: 42, admin: true, region: 'eu' });
  });

  it.each([
    [{ countries: '["DE","FR"' }, /countries is a list of strings: "\["DE","FR"" is not a JSON array/],
    [{ countries: '["DE",3]' }, /countries is a list of strings; 3 is not a non-empty string/],
    [{ countries: 'DE,,FR' }, /countries is a list of strings; "" is not a non-empty string/],
    [{ countries: 'DE', ids: '[1,"x"]' }, /ids is a list of integers; "x" is not an integer/],
    [{ countries: 'DE', ids: '1,two' }, /ids is a list of integers; "two" is not an integer/],
    [{ countries: 'DE', organisationId: '[1,2]' }, /organisationId is an integer, got "\[1,2\]" \(a list\)/],
    [{ countries: 'DE', organisationId: '1 OR 1=1' }, /organisationId is an integer, got "1 OR 1=1"/],
    [{ countries: 'DE', region: '["eu","us"]' }, /region is a string, got .* \(a list\)/],
    [{ countries: 'DE', admin: 'yes' }, /admin is a boolean \(true or false\), got "yes"/],
  ])('refuses %j with a message naming the declared type', (override, message) => {
    const run = () => userContextFromStrings(declared, { ...base, ...override });
    expect(run).toThrow(UserContextError);
    expect(run).toThrow(message);
  });
});
