// The computed-column expression language: + - * /, unary minus, parentheses, number literals and the
// names of the same table's columns, e.g. `quantity * unit_price` or `(price - cost) / price`; and one function,
// `days_between(from_column, to_column)`, the days from one date column to another (fractions for times).
// This module only parses into an Expr tree; it never produces SQL (the compiler binds every identifier).
// Anything outside the grammar (strings, quotes, `;`, function calls, SQL comments, unknown names) is rejected.
import { ParleyError } from '../errors.ts';

export type BinaryOp = '+' | '-' | '*' | '/';

export type Expr =
  | { type: 'column'; name: string }
  | { type: 'number'; value: number }
  | { type: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { type: 'negate'; operand: Expr }
  | { type: 'daysBetween'; from: string; to: string };

/** The one function of the language: the days from one date column to another of the same row. */
export const DAYS_BETWEEN = 'days_between';

export const MAX_EXPRESSION_LENGTH = 500;
/** The deepest expression tree accepted (each operator, minus sign and operand is a level). */
export const MAX_EXPRESSION_DEPTH = 32;

/** A rejected expression; `position` is the 0-based offset of the offending character in the text. */
export class ExpressionError extends ParleyError {
  override name = 'ExpressionError';
  readonly position: number;
  /** a computed column of the operator's model: validation reports it; met at query time, a server failure */
  constructor(message: string, position: number) {
    super(500, 'invalid_expression', `${message} (at character ${position + 1})`);
    this.position = position;
  }
}

type Token =
  | { kind: 'number'; value: number; pos: number; text: string }
  | { kind: 'ident'; name: string; pos: number }
  | { kind: 'op'; op: BinaryOp; pos: number }
  | { kind: 'lparen'; pos: number }
  | { kind: 'rparen'; pos: number }
  | { kind: 'comma'; pos: number }
  | { kind: 'end'; pos: number };

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

function describeChar(ch: string): string {
  if (ch === "'" || ch === '"' || ch === '`')
    return 'quotes are not allowed: expressions cannot contain strings';
  if (ch === ';') return '";" is not allowed';
  const code = ch.codePointAt(0) ?? 0;
  const shown = code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : ch;
  return `unexpected character "${shown}"`;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    const next = text[i + 1];
    if ((ch === '-' && next === '-') || (ch === '/' && next === '*') || (ch === '*' && next === '/')) {
      throw new ExpressionError(`"${ch}${next}" is not allowed (write "- -x" or use parentheses)`, i);
    }
    if (ch === '#') throw new ExpressionError('"#" is not allowed', i);
    if (DIGIT.test(ch) || (ch === '.' && next !== undefined && DIGIT.test(next))) {
      const start = i;
      while (i < text.length && DIGIT.test(text[i] as string)) i++;
      if (text[i] === '.') {
        i++;
        if (!(i < text.length && DIGIT.test(text[i] as string))) {
          throw new ExpressionError('a number needs digits after its decimal point', i);
        }
        while (i < text.length && DIGIT.test(text[i] as string)) i++;
      }
      if (i < text.length && (IDENT_PART.test(text[i] as string) || text[i] === '.')) {
        throw new ExpressionError('malformed number (only plain decimals like 12 or 1.25 are allowed)', i);
      }
      const literal = text.slice(start, i);
      const value = Number(literal);
      if (!Number.isFinite(value)) throw new ExpressionError(`number ${literal} is out of range`, start);
      tokens.push({ kind: 'number', value, pos: start, text: literal });
      continue;
    }
    if (IDENT_START.test(ch)) {
      const start = i;
      while (i < text.length && IDENT_PART.test(text[i] as string)) i++;
      tokens.push({ kind: 'ident', name: text.slice(start, i), pos: start });
      continue;
    }
    if (ch === '+' || ch === '-' || ch === '*' || ch === '/') {
      tokens.push({ kind: 'op', op: ch, pos: i });
      i++;
      continue;
    }
    if (ch === '(') {
      tokens.push({ kind: 'lparen', pos: i });
      i++;
      continue;
    }
    if (ch === ')') {
      tokens.push({ kind: 'rparen', pos: i });
      i++;
      continue;
    }
    if (ch === ',') {
      tokens.push({ kind: 'comma', pos: i });
      i++;
      continue;
    }
    throw new ExpressionError(describeChar(ch), i);
  }
  tokens.push({ kind: 'end', pos: text.length });
  return tokens;
}

const PRECEDENCE: Record<BinaryOp, number> = { '+': 1, '-': 1, '*': 2, '/': 2 };

function depthOf(expr: Expr): number {
  switch (expr.type) {
    case 'column':
    case 'number':
    case 'daysBetween':
      return 1;
    case 'negate':
      return 1 + depthOf(expr.operand);
    case 'binary':
      return 1 + Math.max(depthOf(expr.left), depthOf(expr.right));
  }
}

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly known: ReadonlySet<string>,
  ) {}

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private take(): Token {
    const token = this.tokens[this.index] as Token;
    if (token.kind !== 'end') this.index++;
    return token;
  }

  /** Fails when a node would make the tree deeper than MAX_EXPRESSION_DEPTH (also bounds the recursion). */
  private checkDepth(expr: Expr, pos: number): Expr {
    if (depthOf(expr) > MAX_EXPRESSION_DEPTH) {
      throw new ExpressionError(`expression is nested deeper than ${MAX_EXPRESSION_DEPTH} levels`, pos);
    }
    return expr;
  }

  parseAll(): Expr {
    const expr = this.parseBinary(1, 0);
    const token = this.peek();
    if (token.kind !== 'end') throw new ExpressionError(this.unexpected(token), token.pos);
    return expr;
  }

  // precedence climbing; `nesting` counts parentheses and minus signs so recursion stays bounded
  private parseBinary(minPrecedence: number, nesting: number): Expr {
    let left = this.parseUnary(nesting);
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'op' || PRECEDENCE[token.op] < minPrecedence) return left;
      this.take();
      const right = this.parseBinary(PRECEDENCE[token.op] + 1, nesting);
      if (token.op === '/' && right.type === 'number' && right.value === 0) {
        throw new ExpressionError('division by zero', token.pos);
      }
      left = this.checkDepth({ type: 'binary', op: token.op, left, right }, token.pos);
    }
  }

  private parseUnary(nesting: number): Expr {
    const token = this.peek();
    if (nesting > MAX_EXPRESSION_DEPTH) {
      throw new ExpressionError(`expression is nested deeper than ${MAX_EXPRESSION_DEPTH} levels`, token.pos);
    }
    if (token.kind === 'op' && token.op === '-') {
      this.take();
      const operand = this.parseUnary(nesting + 1);
      return this.checkDepth({ type: 'negate', operand }, token.pos);
    }
    return this.parsePrimary(nesting);
  }

  private parsePrimary(nesting: number): Expr {
    const token = this.take();
    switch (token.kind) {
      case 'number':
        return { type: 'number', value: token.value };
      case 'ident': {
        if (this.peek().kind === 'lparen') {
          if (token.name !== DAYS_BETWEEN)
            throw new ExpressionError(
              `function calls are not allowed ("${token.name}(...)"), except ${DAYS_BETWEEN}(from, to)`,
              token.pos,
            );
          return this.parseDaysBetween();
        }
        if (!this.known.has(token.name)) {
          throw new ExpressionError(`unknown column "${token.name}"`, token.pos);
        }
        return { type: 'column', name: token.name };
      }
      case 'lparen': {
        const inner = this.parseBinary(1, nesting + 1);
        const close = this.take();
        if (close.kind !== 'rparen') {
          throw new ExpressionError(close.kind === 'end' ? 'missing ")"' : this.unexpected(close), close.pos);
        }
        return inner;
      }
      case 'end':
        throw new ExpressionError('unexpected end of expression', token.pos);
      default:
        throw new ExpressionError(this.unexpected(token), token.pos);
    }
  }

  /** `days_between(from, to)`: two of the table's columns, nothing else, after the name and its "(". */
  private parseDaysBetween(): Expr {
    this.take();
    const from = this.columnName();
    const comma = this.take();
    if (comma.kind !== 'comma') throw new ExpressionError(`${DAYS_BETWEEN} takes two columns`, comma.pos);
    const to = this.columnName();
    const close = this.take();
    if (close.kind !== 'rparen')
      throw new ExpressionError(close.kind === 'end' ? 'missing ")"' : this.unexpected(close), close.pos);
    return { type: 'daysBetween', from, to };
  }

  private columnName(): string {
    const token = this.take();
    if (token.kind !== 'ident')
      throw new ExpressionError(`${DAYS_BETWEEN} takes two column names`, token.pos);
    if (!this.known.has(token.name)) throw new ExpressionError(`unknown column "${token.name}"`, token.pos);
    return token.name;
  }

  private unexpected(token: Token): string {
    switch (token.kind) {
      case 'number':
        return `unexpected number ${token.text}`;
      case 'ident':
        return `unexpected name "${token.name}"`;
      case 'op':
        return `unexpected "${token.op}"`;
      case 'lparen':
        return 'unexpected "("';
      case 'rparen':
        return 'unexpected ")"';
      case 'comma':
        return 'unexpected ","';
      case 'end':
        return 'unexpected end of expression';
    }
  }
}

/**
 * Parses a computed-column expression. `knownColumns` are the names the expression may use (the same table's
 * columns); any other name, and anything outside the grammar, throws an ExpressionError with the position.
 */
export function parseExpression(text: string, knownColumns: ReadonlySet<string>): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(
      `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`,
      MAX_EXPRESSION_LENGTH,
    );
  }
  const tokens = tokenize(text);
  if (tokens.length === 1) throw new ExpressionError('expression is empty', 0);
  return new Parser(tokens, knownColumns).parseAll();
}

/** The distinct column names an expression uses, in order of first appearance. */
export function expressionColumns(expr: Expr): string[] {
  const seen = new Set<string>();
  const visit = (e: Expr): void => {
    switch (e.type) {
      case 'column':
        seen.add(e.name);
        return;
      case 'number':
        return;
      case 'negate':
        visit(e.operand);
        return;
      case 'binary':
        visit(e.left);
        visit(e.right);
        return;
      case 'daysBetween':
        seen.add(e.from);
        seen.add(e.to);
        return;
    }
  };
  visit(expr);
  return [...seen];
}

/** The columns an expression reads as dates: the arguments of days_between. */
export function expressionDateColumns(expr: Expr): Set<string> {
  const out = new Set<string>();
  const visit = (e: Expr): void => {
    if (e.type === 'daysBetween') {
      out.add(e.from);
      out.add(e.to);
    } else if (e.type === 'negate') visit(e.operand);
    else if (e.type === 'binary') {
      visit(e.left);
      visit(e.right);
    }
  };
  visit(expr);
  return out;
}
