import { describe, expect, it } from 'vitest';
import { type Expr, ExpressionError, expressionColumns, parseExpression } from './expression.ts';

const known = new Set(['quantity', 'unit_price', 'price', 'cost', 'amount', 'total_amount', 'a', 'b', 'c']);
const col = (name: string): Expr => ({ type: 'column', name });
const num = (value: number): Expr => ({ type: 'number', value });

function failure(text: string, columns: ReadonlySet<string> = known): ExpressionError {
  try {
    parseExpression(text, columns);
  } catch (err) {
    expect(err).toBeInstanceOf(ExpressionError);
    return err as ExpressionError;
  }
  throw new Error(`expected "${text}" to be rejected`);
}

describe('parseExpression', () => {
  it('parses a product of two columns', () => {
    expect(parseExpression('quantity * unit_price', known)).toEqual({
      type: 'binary',
      op: '*',
      left: col('quantity'),
      right: col('unit_price'),
    });
  });

  it('respects parentheses and precedence', () => {
    expect(parseExpression('(price - cost) / price', known)).toEqual({
      type: 'binary',
      op: '/',
      left: { type: 'binary', op: '-', left: col('price'), right: col('cost') },
      right: col('price'),
    });
    expect(parseExpression('a + b * c', known)).toEqual({
      type: 'binary',
      op: '+',
      left: col('a'),
      right: { type: 'binary', op: '*', left: col('b'), right: col('c') },
    });
  });

  it('is left-associative', () => {
    expect(parseExpression('a - b - c', known)).toEqual({
      type: 'binary',
      op: '-',
      left: { type: 'binary', op: '-', left: col('a'), right: col('b') },
      right: col('c'),
    });
    expect(parseExpression('a / b * c', known)).toEqual({
      type: 'binary',
      op: '*',
      left: { type: 'binary', op: '/', left: col('a'), right: col('b') },
      right: col('c'),
    });
  });

  it('parses unary minus and number literals', () => {
    expect(parseExpression('-amount', known)).toEqual({ type: 'negate', operand: col('amount') });
    expect(parseExpression('total_amount * 1.2', known)).toEqual({
      type: 'binary',
      op: '*',
      left: col('total_amount'),
      right: num(1.2),
    });
    expect(parseExpression('-(a + b) * .5', known)).toEqual({
      type: 'binary',
      op: '*',
      left: { type: 'negate', operand: { type: 'binary', op: '+', left: col('a'), right: col('b') } },
      right: num(0.5),
    });
    expect(parseExpression('a - -b', known)).toEqual({
      type: 'binary',
      op: '-',
      left: col('a'),
      right: { type: 'negate', operand: col('b') },
    });
    expect(parseExpression('  42 ', known)).toEqual(num(42));
  });

  it('rejects unknown identifiers with their position', () => {
    const err = failure('quantity * discount');
    expect(err.position).toBe(11);
    expect(err.message).toMatch(/unknown column "discount"/);
    expect(failure('users', new Set()).message).toMatch(/unknown column/);
  });

  it('rejects a SQL injection attempt', () => {
    const err = failure('price); DROP TABLE users; --');
    // the tokenizer stops at the first character outside the grammar
    expect(err.position).toBe(6);
    expect(err.message).toMatch(/";" is not allowed/);
    expect(failure('price) OR (1').message).toMatch(/unexpected "\)"/);
    expect(failure('price; DROP TABLE users').message).toMatch(/";" is not allowed/);
    expect(failure('price -- comment').message).toMatch(/"--" is not allowed/);
    expect(failure('price /* x */').position).toBe(6);
  });

  it('rejects strings, quotes, function calls and other syntax', () => {
    expect(failure("price * 'x'").message).toMatch(/quotes/);
    expect(failure('"price"').position).toBe(0);
    expect(failure('`price`').position).toBe(0);
    expect(failure('abs(price)').message).toMatch(/function calls are not allowed/);
    expect(failure('sleep(5)').message).toMatch(/function calls/);
    expect(failure('price, cost').message).toMatch(/","/);
    expect(failure('price # x').message).toMatch(/"#"/);
    expect(failure('price = 1').message).toMatch(/unexpected character "="/);
    expect(failure('price cost').message).toMatch(/unexpected name "cost"/);
    expect(failure('1e5').message).toMatch(/malformed number/);
    expect(failure('1.').message).toMatch(/decimal point/);
    expect(failure('1.2.3').message).toMatch(/malformed number/);
    expect(failure('+price').message).toMatch(/unexpected "\+"/);
    expect(failure('price *').message).toMatch(/end of expression/);
    expect(failure('(price').message).toMatch(/missing "\)"/);
    expect(failure('price)').message).toMatch(/unexpected "\)"/);
    expect(failure('()').message).toMatch(/unexpected "\)"/);
    expect(failure('').message).toMatch(/empty/);
    expect(failure('   ').message).toMatch(/empty/);
    expect(failure('price / 0').message).toMatch(/division by zero/);
    expect(failure('price\u0000').message).toMatch(/\\u0000/);
  });

  it('reads days_between(from, to) of two columns, and nothing else as a call', () => {
    expect(parseExpression('days_between(price, cost)', known)).toEqual({
      type: 'daysBetween',
      from: 'price',
      to: 'cost',
    });
    expect(parseExpression('days_between(price, cost) / 7', known)).toMatchObject({
      type: 'binary',
      op: '/',
    });
    expect(failure('days_between(price)').message).toMatch(/takes two columns/);
    expect(failure('days_between(price, 3)').message).toMatch(/two column names/);
    expect(failure('days_between(price, nope)').message).toMatch(/unknown column "nope"/);
    expect(failure('days_between(price, cost, amount)').message).toMatch(/unexpected ","/);
    expect(failure('days_between(price, cost').message).toMatch(/missing "\)"/);
  });

  it('enforces the length and depth limits', () => {
    expect(failure(`a${' + a'.repeat(130)}`).message).toMatch(/longer than 500/);
    expect(failure(`${'('.repeat(40)}a${')'.repeat(40)}`).message).toMatch(/deeper than 32/);
    expect(failure(`${'- '.repeat(40)}a`).message).toMatch(/deeper than 32/);
    expect(failure(Array(40).fill('a').join(' + ')).message).toMatch(/deeper than 32/);
    expect(() => parseExpression(Array(20).fill('a').join(' + '), known)).not.toThrow();
    expect(() => parseExpression(`${'('.repeat(20)}a${')'.repeat(20)}`, known)).not.toThrow();
  });
});

describe('expressionColumns', () => {
  it('lists distinct columns in order of appearance', () => {
    expect(expressionColumns(parseExpression('(price - cost) / price * 2', known))).toEqual([
      'price',
      'cost',
    ]);
    expect(expressionColumns(parseExpression('-amount', known))).toEqual(['amount']);
    expect(expressionColumns(parseExpression('3 * 4', known))).toEqual([]);
  });
});
