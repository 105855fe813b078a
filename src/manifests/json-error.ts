/**
 * Where a JSON text stops being valid, for error messages. V8's own JSON.parse messages quote the source around
 * the error ("Unexpected token 'h', "…hunter2…" is not valid JSON"), which would print secret values; this
 * scanner finds the offset of the first offending character instead, so messages can give a line and column.
 */
export function jsonErrorOffset(text: string): number {
  const scanner = new Scanner(text);
  try {
    scanner.value();
    scanner.whitespace();
    return scanner.index < text.length ? scanner.index : -1;
  } catch (error) {
    if (error instanceof SyntaxAt) return error.offset;
    throw error;
  }
}

class SyntaxAt extends Error {
  readonly offset: number;

  constructor(offset: number) {
    super(`JSON syntax error at ${offset}`);
    this.offset = offset;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// JSON strings may not hold raw control characters (U+0000 to U+001F).
// eslint-disable-next-line no-control-regex
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y;

class Scanner {
  readonly text: string;
  index = 0;

  constructor(text: string) {
    this.text = text;
  }

  whitespace(): void {
    while (' \t\n\r'.includes(this.text[this.index] ?? 'x')) this.index++;
  }

  value(): void {
    this.whitespace();
    const char = this.text[this.index];
    if (char === '{') return this.container('}', () => this.member());
    if (char === '[') return this.container(']', () => this.value());
    if (char === '"') return this.string();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.index)) {
        this.index += literal.length;
        return;
      }
    }
    this.match(NUMBER);
  }

  member(): void {
    this.whitespace();
    if (this.text[this.index] !== '"') throw new SyntaxAt(this.index);
    this.string();
    this.whitespace();
    this.expect(':');
    this.value();
  }

  container(close: string, item: () => void): void {
    this.index++;
    this.whitespace();
    if (this.text[this.index] === close) {
      this.index++;
      return;
    }
    for (;;) {
      item();
      this.whitespace();
      if (this.text[this.index] === close) {
        this.index++;
        return;
      }
      this.expect(',');
    }
  }

  string(): void {
    this.index++;
    this.match(STRING_BODY, true);
    this.expect('"');
  }

  expect(char: string): void {
    if (this.text[this.index] !== char) throw new SyntaxAt(this.index);
    this.index++;
  }

  match(pattern: RegExp, mayBeEmpty = false): void {
    pattern.lastIndex = this.index;
    const found = pattern.exec(this.text);
    if (!found || (!mayBeEmpty && found[0] === '')) throw new SyntaxAt(this.index);
    this.index += found[0].length;
  }
}
