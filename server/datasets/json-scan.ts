// A strict JSON (RFC 8259) scanner that finds where a document goes wrong, for messages like
// "line 3, column 5: ...", and where each row of the data array starts. JSON.parse still builds the values.
import { ParleyError } from '../errors.ts';

/** parse.ts answers it as a MalformedFileError (422) with the line and column of `offset` */
export class JsonScanError extends ParleyError {
  override name = 'JsonScanError';
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(422, 'malformed_file', message);
  }
}

export interface JsonScan {
  /** the kind of the root value */
  root: 'array' | 'object' | 'scalar';
  /** character offsets where each element of the data array starts (the root array, or the root object's `rows`) */
  rowOffsets: number[];
}

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Scanner {
  i = 0;
  readonly rowOffsets: number[] = [];

  constructor(readonly s: string) {}

  fail(message: string, at = this.i): never {
    throw new JsonScanError(at, message);
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i += 1;
      else break;
    }
  }

  peek(): string {
    return this.s.charAt(this.i);
  }

  /** A value at the cursor; `rows` = record where the elements of this array start. */
  value(depth: number, rows = false): 'array' | 'object' | 'scalar' {
    if (depth > MAX_DEPTH) this.fail(`values are nested more than ${MAX_DEPTH} levels deep`);
    const c = this.peek();
    if (c === '[') {
      this.array(depth, rows);
      return 'array';
    }
    if (c === '{') {
      this.object(depth, depth === 0);
      return 'object';
    }
    if (c === '"') this.string();
    else if (c === '-' || (c >= '0' && c <= '9')) this.number();
    else if (this.s.startsWith('true', this.i)) this.i += 4;
    else if (this.s.startsWith('false', this.i)) this.i += 5;
    else if (this.s.startsWith('null', this.i)) this.i += 4;
    else if (this.i >= this.s.length) this.fail('unexpected end of the file');
    else this.fail(`unexpected character ${JSON.stringify(c)}`);
    return 'scalar';
  }

  array(depth: number, rows: boolean): void {
    this.i += 1;
    this.ws();
    if (this.peek() === ']') {
      this.i += 1;
      return;
    }
    for (;;) {
      this.ws();
      if (rows) this.rowOffsets.push(this.i);
      this.value(depth + 1);
      this.ws();
      const c = this.peek();
      if (c === ',') this.i += 1;
      else if (c === ']') {
        this.i += 1;
        return;
      } else if (this.i >= this.s.length) this.fail('unexpected end of the file: expected , or ]');
      else this.fail(`expected , or ] after an array element, found ${JSON.stringify(c)}`);
    }
  }

  object(depth: number, isRoot: boolean): void {
    this.i += 1;
    this.ws();
    if (this.peek() === '}') {
      this.i += 1;
      return;
    }
    for (;;) {
      this.ws();
      if (this.peek() !== '"') {
        if (this.i >= this.s.length) this.fail('unexpected end of the file: expected a property name');
        this.fail('expected a double-quoted property name');
      }
      const keyStart = this.i;
      this.string();
      const isRows = isRoot && this.s.slice(keyStart, this.i) === '"rows"';
      this.ws();
      if (this.peek() !== ':') this.fail('expected : after a property name');
      this.i += 1;
      this.ws();
      this.value(depth + 1, isRows);
      this.ws();
      const c = this.peek();
      if (c === ',') this.i += 1;
      else if (c === '}') {
        this.i += 1;
        return;
      } else if (this.i >= this.s.length) this.fail('unexpected end of the file: expected , or }');
      else this.fail(`expected , or } after a property value, found ${JSON.stringify(c)}`);
    }
  }

  string(): void {
    const s = this.s;
    const start = this.i;
    this.i += 1;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        this.i += 1;
        return;
      }
      if (c < 0x20) this.fail('control character in a string (newlines in strings must be written \\n)');
      if (c === 0x5c) {
        const e = s.charAt(this.i + 1);
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(this.i + 2, this.i + 6)))
            this.fail('bad \\u escape in a string');
          this.i += 6;
        } else if ('"\\/bfnrt'.includes(e) && e !== '') this.i += 2;
        else this.fail('bad escape in a string');
      } else this.i += 1;
    }
    this.fail('unterminated string', start);
  }

  number(): void {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail('malformed number');
    this.i += m[0].length;
  }
}

/** Scans a JSON text; throws JsonScanError at the first problem. */
export function scanJson(text: string): JsonScan {
  const sc = new Scanner(text);
  sc.ws();
  const root = sc.value(0, true);
  sc.ws();
  if (sc.i < text.length) sc.fail('unexpected content after the JSON value');
  return { root, rowOffsets: sc.rowOffsets };
}
