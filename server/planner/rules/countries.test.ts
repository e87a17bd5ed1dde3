import { describe, expect, it } from 'vitest';
import { countryAliases } from './countries.ts';

describe('countryAliases', () => {
  it('names a country by its demonyms, their plurals and its other names', () => {
    expect(countryAliases('Mexico')).toEqual(
      expect.arrayContaining(['mexican', 'mexicans', 'united mexican states']),
    );
    expect(countryAliases('Switzerland')).toEqual(expect.arrayContaining(['swiss']));
    expect(countryAliases('Netherlands')).toEqual(expect.arrayContaining(['dutch', 'holland']));
    expect(countryAliases('united kingdom')).toEqual(expect.arrayContaining(['british', 'uk', 'britain']));
  });

  it('never reads an ISO code that is also a word as a country', () => {
    expect(countryAliases('Italy')).not.toContain('it');
    expect(countryAliases('Canada')).not.toContain('can');
    expect(countryAliases('Peru')).not.toContain('per');
    expect(countryAliases('India')).not.toContain('in');
  });

  it('knows nothing of values that are not countries', () => {
    expect(countryAliases('Home & Garden')).toEqual([]);
    expect(countryAliases('Electronics')).toEqual([]);
  });
});
