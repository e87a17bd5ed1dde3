import { describe, expect, it } from 'vitest';
import { expandShorthand } from './shorthand.ts';

describe('expandShorthand', () => {
  it('writes out units of time however they are shortened', () => {
    expect(expandShorthand('units by wk for the past 6 wks')).toBe('units by week for the past 6 weeks');
    expect(expandShorthand('Signups Per Mth, prev yr')).toBe('Signups Per month, prev year');
    expect(expandShorthand('spend in the last 14d vs last 2w')).toBe(
      'spend in the last 14 days vs last 2 weeks',
    );
    expect(expandShorthand('avg basket size each qtr')).toBe('average basket size each quarter');
    // a period's possessive typed without its apostrophe, before a noun only
    expect(expandShorthand('last months refunds by channel')).toBe("last month's refunds by channel");
    expect(expandShorthand('the last weeks of 2025')).toBe('the last weeks of 2025');
    expect(expandShorthand('this months vs last months')).toBe('this months vs last months');
  });

  it('reads counting and percentage signs as words, but keeps a number’s own sign', () => {
    expect(expandShorthand('#refunds this week')).toBe('number of refunds this week');
    expect(expandShorthand('no. of accounts in spain')).toBe('number of accounts in spain');
    expect(expandShorthand('what % of signups bought')).toBe('what percentage  of signups bought');
    expect(expandShorthand('orders with 10% off')).toBe('orders with 10% off');
    expect(expandShorthand('shoppers with 3+ purchases')).toBe('shoppers with 3 or more purchases');
  });

  it('writes out contractions typed without their apostrophe, and account shorthand', () => {
    expect(expandShorthand('members whove ordered twice')).toBe('members who have ordered twice');
    expect(expandShorthand('accts theyve opened, and whats left')).toBe(
      'accounts they have opened, and what is left',
    );
    expect(expandShorthand('how many were there')).toBe('how many were there');
  });

  it('leaves plain words, "no" as a word, and amounts alone', () => {
    for (const q of ['no refunds at all last month', 'products over $1m', 'monthly income in 2025'])
      expect(expandShorthand(q)).toBe(q);
  });
});
