/**
 * Go's fmt.Sprint, Sprintf and Sprintln over template values (values.ts): the verbs, flags, widths,
 * precisions and argument indexes Go's fmt accepts, its error notations (%!d(string=x), %!d(MISSING),
 * %!(EXTRA …), %!(NOVERB), %!(BADWIDTH), %!(BADPREC), %!(BADINDEX)) and its printing of composite values
 * (map[a:1 b:2] with sorted keys, [1 2 3], {f1 f2}, <nil>). Everything works on byte strings.
 *
 * Not reproduced: memory addresses. Go prints a function or a nested pointer as its address (%p, %v of a
 * func); there is none here, so Cloak prints 0x0.
 */
import { canBackquote, formatFloat, quote, quoteRune } from './go-strconv.ts';
import { encodeRune, isPrintRune, RUNE_ERROR, runeCount, type ByteString } from '../common/go-utf8.ts';
import {
  GoBytes,
  GoFunc,
  GoInt,
  GoList,
  GoMap,
  GoStruct,
  goTypeOf,
  isUnsignedKind,
  type GoValue,
} from './values.ts';

const LOWER_DIGITS = '0123456789abcdefx';
const UPPER_DIGITS = '0123456789ABCDEFX';
const MAX_RUNE = 0x10ffff;

/** Width, precision or argument numbers beyond this are malformed (fmt's tooLarge). */
const TOO_LARGE = 1e6;

/** Raised when formatting alone would pass the caller's output limit. */
export class FormatLimitError extends Error {
  constructor(limit: number) {
    super(`formatted output exceeds ${limit} bytes`);
  }
}

class Printer {
  buffer = '';
  readonly limit: number;
  // Flags of the verb being formatted.
  widthPresent = false;
  precisionPresent = false;
  minus = false;
  plus = false;
  sharp = false;
  space = false;
  zero = false;
  plusV = false;
  sharpV = false;
  width = 0;
  precision = 0;
  erroring = false;
  /** The argument being printed at the top level (null when printing a nested value). */
  argument: GoValue | undefined = undefined;
  /** The nested value being printed, for %!verb(type=value) inside composites. */
  nested: GoValue | undefined = undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  write(text: string): void {
    this.buffer += text;
    if (this.buffer.length > this.limit) throw new FormatLimitError(this.limit);
  }

  clearFlags(): void {
    this.widthPresent = this.precisionPresent = false;
    this.minus = this.plus = this.sharp = this.space = this.zero = this.plusV = this.sharpV = false;
    this.width = this.precision = 0;
  }

  writePadding(count: number): void {
    if (count <= 0) return;
    this.write((this.zero && !this.minus ? '0' : ' ').repeat(count));
  }

  /** Pads to the width, counting runes, on the left unless '-' was given. */
  pad(text: ByteString): void {
    if (!this.widthPresent || this.width === 0) {
      this.write(text);
      return;
    }
    const padding = this.width - runeCount(text);
    if (!this.minus) {
      this.writePadding(padding);
      this.write(text);
    } else {
      this.write(text);
      this.writePadding(padding);
    }
  }

  withoutZero(action: () => void): void {
    const zero = this.zero;
    this.zero = false;
    action();
    this.zero = zero;
  }

  // -- basic kinds ------------------------------------------------------------------------------------------

  formatBoolean(value: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.pad(value ? 'true' : 'false');
    else this.badVerb(verb);
  }

  formatIntegerVerb(value: bigint, signed: boolean, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.sharpV && !signed) this.hex0x(value, true);
        else this.formatInteger(value, 10, verb, LOWER_DIGITS);
        return;
      case 'd':
        return this.formatInteger(value, 10, verb, LOWER_DIGITS);
      case 'b':
        return this.formatInteger(value, 2, verb, LOWER_DIGITS);
      case 'o':
      case 'O':
        return this.formatInteger(value, 8, verb, LOWER_DIGITS);
      case 'x':
        return this.formatInteger(value, 16, verb, LOWER_DIGITS);
      case 'X':
        return this.formatInteger(value, 16, verb, UPPER_DIGITS);
      case 'c':
        return this.pad(encodeRune(value < 0n || value > BigInt(MAX_RUNE) ? RUNE_ERROR : Number(value)));
      case 'q':
        return this.pad(
          quoteRune(value < 0n || value > BigInt(MAX_RUNE) ? RUNE_ERROR : Number(value), this.plus),
        );
      case 'U':
        return this.formatUnicode(value);
    }
    this.badVerb(verb);
  }

  hex0x(value: bigint, leading0x: boolean): void {
    const sharp = this.sharp;
    this.sharp = leading0x;
    this.formatInteger(value, 16, 'v', LOWER_DIGITS);
    this.sharp = sharp;
  }

  formatInteger(value: bigint, base: number, verb: string, digitSet: string): void {
    const negative = value < 0n;
    const magnitude = negative ? -value : value;
    let precision = 0;
    if (this.precisionPresent) {
      precision = this.precision;
      // %.0d of zero prints nothing but the padding.
      if (precision === 0 && magnitude === 0n) {
        this.withoutZero(() => this.writePadding(this.width));
        return;
      }
    } else if (this.zero && !this.minus && this.widthPresent) {
      precision = this.width;
      if (negative || this.plus || this.space) precision--;
    }
    let digits = magnitude.toString(base);
    if (digitSet === UPPER_DIGITS) digits = digits.toUpperCase();
    if (digits.length < precision) digits = digits.padStart(precision, '0');
    if (this.sharp) {
      if (base === 2) digits = `0b${digits}`;
      else if (base === 8 && !digits.startsWith('0')) digits = `0${digits}`;
      else if (base === 16) digits = `0${digitSet[16]}${digits}`;
    }
    if (verb === 'O') digits = `0o${digits}`;
    if (negative) digits = `-${digits}`;
    else if (this.plus) digits = `+${digits}`;
    else if (this.space) digits = ` ${digits}`;
    this.withoutZero(() => this.pad(digits));
  }

  formatUnicode(value: bigint): void {
    let precision = 4;
    if (this.precisionPresent && this.precision > 4) precision = this.precision;
    let text = `U+${BigInt.asUintN(64, value).toString(16).toUpperCase().padStart(precision, '0')}`;
    if (this.sharp && value >= 0n && value <= BigInt(MAX_RUNE) && isPrintRune(Number(value))) {
      text += ` '${encodeRune(Number(value))}'`;
    }
    this.withoutZero(() => this.pad(text));
  }

  formatFloatVerb(value: number, verb: string): void {
    switch (verb) {
      case 'v':
        return this.formatFloat(value, 'g', -1);
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        return this.formatFloat(value, verb, -1);
      case 'f':
      case 'e':
      case 'E':
        return this.formatFloat(value, verb, 6);
      case 'F':
        return this.formatFloat(value, 'f', 6);
    }
    this.badVerb(verb);
  }

  formatFloat(value: number, verb: string, defaultPrecision: number): void {
    const precision = this.precisionPresent ? this.precision : defaultPrecision;
    let number = formatFloat(value, verb, precision);
    if (number[0] !== '-' && number[0] !== '+') number = `+${number}`;
    if (this.space && number[0] === '+' && !this.plus) number = ` ${number.slice(1)}`;
    if (number[1] === 'I' || number[1] === 'N') {
      if (number[1] === 'N' && !this.space && !this.plus) number = number.slice(1);
      this.withoutZero(() => this.pad(number));
      return;
    }
    if (this.sharp && verb !== 'b') number = this.alternateFloat(number, verb, precision);
    if (this.plus || number[0] !== '+') {
      if (this.zero && !this.minus && this.widthPresent && this.width > number.length) {
        this.write(number[0]!);
        this.writePadding(this.width - number.length);
        this.write(number.slice(1));
        return;
      }
      this.pad(number);
      return;
    }
    this.pad(number.slice(1));
  }

  /** The '#' flag for floats: always a decimal point, and %g/%v keep their trailing zeros. */
  alternateFloat(number: string, verb: string, precision: number): string {
    let digits = 0;
    if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x')
      digits = precision === -1 ? 6 : precision;
    let tail = '';
    let body = number;
    let hasPoint = false;
    let sawNonzero = false;
    for (let index = 1; index < body.length; index++) {
      const char = body[index]!;
      if (char === '.') {
        hasPoint = true;
      } else if (
        char === 'p' ||
        char === 'P' ||
        ((char === 'e' || char === 'E') && verb !== 'x' && verb !== 'X')
      ) {
        tail = body.slice(index);
        body = body.slice(0, index);
        break;
      } else {
        if (char !== '0') sawNonzero = true;
        if (sawNonzero) digits--;
      }
    }
    if (!hasPoint) {
      if (body.length === 2 && body[1] === '0') digits--;
      body += '.';
    }
    if (digits > 0) body += '0'.repeat(digits);
    return body + tail;
  }

  formatStringVerb(value: ByteString, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.sharpV) this.formatQuoted(value);
        else this.formatString(value);
        return;
      case 's':
        return this.formatString(value);
      case 'x':
        return this.formatHexBytes(value, LOWER_DIGITS);
      case 'X':
        return this.formatHexBytes(value, UPPER_DIGITS);
      case 'q':
        return this.formatQuoted(value);
    }
    this.badVerb(verb);
  }

  /** Precision counts runes for strings. */
  truncate(value: ByteString): ByteString {
    if (!this.precisionPresent) return value;
    let remaining = this.precision;
    let index = 0;
    while (index < value.length) {
      if (remaining-- <= 0) return value.slice(0, index);
      index += value.charCodeAt(index) < 0x80 ? 1 : runeSize(value, index);
    }
    return value;
  }

  formatString(value: ByteString): void {
    this.pad(this.truncate(value));
  }

  formatQuoted(value: ByteString): void {
    const text = this.truncate(value);
    if (this.sharp && canBackquote(text)) this.pad(`\`${text}\``);
    else this.pad(quote(text, this.plus));
  }

  formatHexBytes(value: ByteString, digitSet: string): void {
    let length = value.length;
    if (this.precisionPresent && this.precision < length) length = this.precision;
    let width = 2 * length;
    if (width > 0) {
      if (this.space) {
        if (this.sharp) width *= 2;
        width += length - 1;
      } else if (this.sharp) width += 2;
    } else {
      if (this.widthPresent) this.writePadding(this.width);
      return;
    }
    if (this.widthPresent && this.width > width && !this.minus) this.writePadding(this.width - width);
    let out = this.sharp ? `0${digitSet[16]}` : '';
    for (let index = 0; index < length; index++) {
      if (this.space && index > 0) out += this.sharp ? ` 0${digitSet[16]}` : ' ';
      const byte = value.charCodeAt(index);
      out += digitSet[byte >> 4]! + digitSet[byte & 15]!;
    }
    this.write(out);
    if (this.widthPresent && this.width > width && this.minus) this.writePadding(this.width - width);
  }

  formatBytes(value: GoBytes, verb: string, typeName: string): void {
    const text = String.fromCharCode(...value.bytes);
    switch (verb) {
      case 'v':
      case 'd':
        if (this.sharpV) {
          this.write(typeName);
          if (value.isNil) {
            this.write('(nil)');
            return;
          }
          this.write('{');
          value.bytes.forEach((byte, index) => {
            if (index > 0) this.write(', ');
            this.hex0x(BigInt(byte), true);
          });
          this.write('}');
        } else {
          this.write('[');
          value.bytes.forEach((byte, index) => {
            if (index > 0) this.write(' ');
            this.formatInteger(BigInt(byte), 10, verb, LOWER_DIGITS);
          });
          this.write(']');
        }
        return;
      case 's':
        return this.pad(this.truncate(text));
      case 'x':
        return this.formatHexBytes(text, LOWER_DIGITS);
      case 'X':
        return this.formatHexBytes(text, UPPER_DIGITS);
      case 'q':
        return this.formatQuoted(text);
    }
    // Other verbs format each byte as a uint8.
    this.write('[');
    value.bytes.forEach((byte, index) => {
      if (index > 0) this.write(' ');
      this.printValue(new GoInt('uint8', BigInt(byte)), verb, 1);
    });
    this.write(']');
  }

  /** %p and %v of functions: there are no addresses here (see the module comment). */
  formatPointer(value: GoValue, verb: string): void {
    const isNil =
      (value instanceof GoMap || value instanceof GoList || value instanceof GoBytes) && value.isNil;
    switch (verb) {
      case 'v':
        if (this.sharpV) this.write(`(${goTypeOf(value)})(${isNil ? 'nil' : '0x0'})`);
        else if (isNil) this.pad('<nil>');
        else this.hex0x(0n, !this.sharp);
        return;
      case 'p':
        return this.hex0x(0n, !this.sharp);
      case 'b':
      case 'o':
      case 'd':
      case 'x':
      case 'X':
        return this.formatIntegerVerb(0n, false, verb);
    }
    this.badVerb(verb);
  }

  badVerb(verb: string): void {
    this.erroring = true;
    this.write(`%!${verb}(`);
    if (this.argument !== undefined && this.argument !== null) {
      this.write(`${goTypeOf(this.argument)}=`);
      this.printArgument(this.argument, 'v');
    } else if (this.nested !== undefined && this.nested !== null) {
      this.write(`${goTypeOf(this.nested)}=`);
      this.printValue(this.nested, 'v', 0);
    } else {
      this.write('<nil>');
    }
    this.write(')');
    this.erroring = false;
  }

  /** Stringer values print their String() for the verbs that accept strings. */
  handleMethods(value: GoValue, verb: string): boolean {
    if (this.erroring || this.sharpV) return false;
    if (value instanceof GoStruct && value.string && 'vsxXq'.includes(verb)) {
      this.formatStringVerb(value.string(), verb);
      return true;
    }
    return false;
  }

  printArgument(argument: GoValue, verb: string): void {
    this.argument = argument;
    this.nested = undefined;
    if (argument === null) {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb);
      return;
    }
    if (verb === 'T') {
      this.formatString(goTypeOf(argument));
      return;
    }
    if (verb === 'p') {
      if (isReferenceKind(argument)) this.formatPointer(argument, 'p');
      else this.badVerb(verb);
      return;
    }
    switch (typeof argument) {
      case 'boolean':
        return this.formatBoolean(argument, verb);
      case 'number':
        return this.formatFloatVerb(argument, verb);
      case 'string':
        return this.formatStringVerb(argument, verb);
    }
    if (argument instanceof GoInt)
      return this.formatIntegerVerb(argument.value, !isUnsignedKind(argument.kind), verb);
    if (argument instanceof GoBytes) return this.formatBytes(argument, verb, '[]byte');
    if (!this.handleMethods(argument, verb)) this.printValue(argument, verb, 0);
  }

  printValue(value: GoValue, verb: string, depth: number): void {
    if (depth > 0 && value !== null && this.handleMethods(value, verb)) return;
    this.argument = undefined;
    this.nested = value;
    if (value === null) {
      // A nil interface inside a composite value.
      this.write(this.sharpV ? 'interface {}(nil)' : '<nil>');
      return;
    }
    switch (typeof value) {
      case 'boolean':
        return this.formatBoolean(value, verb);
      case 'number':
        return this.formatFloatVerb(value, verb);
      case 'string':
        return this.formatStringVerb(value, verb);
    }
    if (value instanceof GoInt) return this.formatIntegerVerb(value.value, !isUnsignedKind(value.kind), verb);
    if (value instanceof GoBytes) {
      if ('sqxX'.includes(verb)) return this.formatBytes(value, verb, value.type);
      return this.printList(
        value.type,
        value.isNil,
        [...value.bytes].map((byte) => new GoInt('uint8', BigInt(byte))),
        verb,
        depth,
      );
    }
    if (value instanceof GoMap) {
      if (this.sharpV) {
        this.write(value.type);
        if (value.isNil) {
          this.write('(nil)');
          return;
        }
        this.write('{');
      } else {
        this.write('map[');
      }
      value.sortedKeys().forEach((key, index) => {
        if (index > 0) this.write(this.sharpV ? ', ' : ' ');
        this.printValue(key, verb, depth + 1);
        this.write(':');
        this.printValue(value.entries.get(key) ?? null, verb, depth + 1);
      });
      this.write(this.sharpV ? '}' : ']');
      return;
    }
    if (value instanceof GoList) return this.printList(value.type, value.isNil, value.items, verb, depth);
    if (value instanceof GoStruct) {
      if (value.pointer) {
        if (depth > 0) return this.formatPointer(value, verb);
        this.write('&');
      }
      if (this.sharpV) this.write(value.pointer ? value.type.slice(1) : value.type);
      this.write('{');
      let index = 0;
      for (const [name, field] of value.fields) {
        if (index++ > 0) this.write(this.sharpV ? ', ' : ' ');
        if (this.plusV || this.sharpV) this.write(`${name}:`);
        this.printValue(field, verb, depth + 1);
      }
      this.write('}');
      return;
    }
    if (value instanceof GoFunc) return this.formatPointer(value, verb);
  }

  printList(type: string, isNil: boolean, items: readonly GoValue[], verb: string, depth: number): void {
    if (this.sharpV) {
      this.write(type);
      if (isNil) {
        this.write('(nil)');
        return;
      }
      this.write('{');
      items.forEach((item, index) => {
        if (index > 0) this.write(', ');
        this.printValue(item, verb, depth + 1);
      });
      this.write('}');
      return;
    }
    this.write('[');
    items.forEach((item, index) => {
      if (index > 0) this.write(' ');
      this.printValue(item, verb, depth + 1);
    });
    this.write(']');
  }
}

function isReferenceKind(value: GoValue): boolean {
  return (
    value instanceof GoMap ||
    value instanceof GoList ||
    value instanceof GoBytes ||
    value instanceof GoFunc ||
    (value instanceof GoStruct && value.pointer)
  );
}

function runeSize(text: ByteString, index: number): number {
  const first = text.charCodeAt(index);
  // A valid lead byte's sequence length; decodeRune would also validate, but truncation only needs sizes as Go
  // computes them (invalid bytes are one rune each).
  if (first >= 0xc2 && first <= 0xf4) {
    const size = first < 0xe0 ? 2 : first < 0xf0 ? 3 : 4;
    for (let offset = 1; offset < size; offset++) {
      const byte = text.charCodeAt(index + offset);
      if (!(byte >= 0x80 && byte <= 0xbf)) return 1;
    }
    return size;
  }
  return 1;
}

/** fmt.Sprint: operands are separated by a space when neither side is a string. */
export function sprint(args: readonly GoValue[], limit = Infinity): ByteString {
  const printer = new Printer(limit);
  let previousIsString = false;
  args.forEach((argument, index) => {
    const isString = typeof argument === 'string';
    if (index > 0 && !isString && !previousIsString) printer.write(' ');
    printer.printArgument(argument, 'v');
    previousIsString = isString;
  });
  return printer.buffer;
}

/** fmt.Sprintln: operands always separated by a space, and a newline at the end. */
export function sprintln(args: readonly GoValue[], limit = Infinity): ByteString {
  const printer = new Printer(limit);
  args.forEach((argument, index) => {
    if (index > 0) printer.write(' ');
    printer.printArgument(argument, 'v');
  });
  printer.write('\n');
  return printer.buffer;
}

function parseNumber(
  format: string,
  start: number,
  end: number,
): { value: number; present: boolean; next: number } {
  if (start >= end) return { value: 0, present: false, next: end };
  let value = 0;
  let present = false;
  let next = start;
  for (; next < end && format.charCodeAt(next) >= 0x30 && format.charCodeAt(next) <= 0x39; next++) {
    if (value > TOO_LARGE || value < -TOO_LARGE) return { value: 0, present: false, next: end };
    value = value * 10 + format.charCodeAt(next) - 0x30;
    present = true;
  }
  return { value, present, next };
}

/** An integer argument for '*' width or precision. */
function intArgument(
  args: readonly GoValue[],
  index: number,
): { value: number; isInt: boolean; next: number } {
  if (index >= args.length) return { value: 0, isInt: false, next: index };
  const argument = args[index];
  let value = 0;
  let isInt = false;
  if (argument instanceof GoInt && argument.value >= -(2n ** 63n) && argument.value <= 2n ** 63n - 1n) {
    value = Number(argument.value);
    isInt = true;
  }
  if (value > TOO_LARGE || value < -TOO_LARGE) {
    value = 0;
    isInt = false;
  }
  return { value, isInt, next: index + 1 };
}

/** fmt.Sprintf. */
export function sprintf(format: ByteString, args: readonly GoValue[], limit = Infinity): ByteString {
  const printer = new Printer(limit);
  const end = format.length;
  let argNumber = 0;
  let afterIndex: boolean;
  let reordered = false;
  let goodArgNumber: boolean;

  // An explicit argument index "[n]" at format[i]: the new argument number and position.
  const argumentIndex = (current: number, i: number): { argNumber: number; next: number; found: boolean } => {
    if (i >= end || format[i] !== '[') return { argNumber: current, next: i, found: false };
    reordered = true;
    let width = 1;
    let ok = false;
    let index = 0;
    if (end - i >= 3) {
      for (let j = i + 1; j < end; j++) {
        if (format[j] === ']') {
          const parsed = parseNumber(format, i + 1, j);
          if (parsed.present && parsed.next === j) {
            ok = true;
            index = parsed.value - 1;
          }
          width = j - i + 1;
          break;
        }
      }
    }
    if (ok && index >= 0 && index < args.length) return { argNumber: index, next: i + width, found: true };
    goodArgNumber = false;
    return { argNumber: current, next: i + width, found: ok };
  };

  let i = 0;
  formatLoop: while (i < end) {
    goodArgNumber = true;
    const textStart = i;
    while (i < end && format[i] !== '%') i++;
    if (i > textStart) printer.write(format.slice(textStart, i));
    if (i >= end) break;
    i++;
    printer.clearFlags();
    flags: for (; i < end; i++) {
      const char = format[i]!;
      switch (char) {
        case '#':
          printer.sharp = true;
          break;
        case '0':
          printer.zero = true;
          break;
        case '+':
          printer.plus = true;
          break;
        case '-':
          printer.minus = true;
          break;
        case ' ':
          printer.space = true;
          break;
        default:
          // A lower-case verb straight after the flags, with an argument left: the common case.
          if (char >= 'a' && char <= 'z' && argNumber < args.length) {
            if (char === 'v') {
              printer.sharpV = printer.sharp;
              printer.sharp = false;
              printer.plusV = printer.plus;
              printer.plus = false;
            }
            printer.printArgument(args[argNumber]!, char);
            argNumber++;
            i++;
            continue formatLoop;
          }
          break flags;
      }
    }

    ({ argNumber, next: i, found: afterIndex } = argumentIndex(argNumber, i));

    if (i < end && format[i] === '*') {
      i++;
      const width = intArgument(args, argNumber);
      printer.width = width.value;
      printer.widthPresent = width.isInt;
      argNumber = width.next;
      if (!printer.widthPresent) printer.write('%!(BADWIDTH)');
      if (printer.width < 0) {
        printer.width = -printer.width;
        printer.minus = true;
        printer.zero = false;
      }
      afterIndex = false;
    } else {
      const width = parseNumber(format, i, end);
      printer.width = width.value;
      printer.widthPresent = width.present;
      i = width.next;
      if (afterIndex && printer.widthPresent) goodArgNumber = false;
    }

    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNumber = false;
      ({ argNumber, next: i, found: afterIndex } = argumentIndex(argNumber, i));
      if (i < end && format[i] === '*') {
        i++;
        const precision = intArgument(args, argNumber);
        printer.precision = precision.value;
        printer.precisionPresent = precision.isInt;
        argNumber = precision.next;
        if (printer.precision < 0) {
          printer.precision = 0;
          printer.precisionPresent = false;
        }
        if (!printer.precisionPresent) printer.write('%!(BADPREC)');
        afterIndex = false;
      } else {
        const precision = parseNumber(format, i, end);
        printer.precision = precision.value;
        printer.precisionPresent = precision.present;
        i = precision.next;
        if (!printer.precisionPresent) {
          printer.precision = 0;
          printer.precisionPresent = true;
        }
      }
    }

    if (!afterIndex) ({ argNumber, next: i } = argumentIndex(argNumber, i));

    if (i >= end) {
      printer.write('%!(NOVERB)');
      break;
    }

    let verb = format[i]!;
    let size = 1;
    if (format.charCodeAt(i) >= 0x80) {
      const decoded = decodeVerb(format, i);
      verb = decoded.verb;
      size = decoded.size;
    }
    i += size;

    if (verb === '%') {
      printer.write('%');
    } else if (!goodArgNumber) {
      printer.write(`%!${verb}(BADINDEX)`);
    } else if (argNumber >= args.length) {
      printer.write(`%!${verb}(MISSING)`);
    } else {
      if (verb === 'v') {
        printer.sharpV = printer.sharp;
        printer.sharp = false;
        printer.plusV = printer.plus;
        printer.plus = false;
      }
      printer.printArgument(args[argNumber]!, verb);
      argNumber++;
    }
  }

  if (!reordered && argNumber < args.length) {
    printer.clearFlags();
    printer.write('%!(EXTRA ');
    args.slice(argNumber).forEach((argument, index) => {
      if (index > 0) printer.write(', ');
      if (argument === null) printer.write('<nil>');
      else {
        printer.write(`${goTypeOf(argument)}=`);
        printer.printArgument(argument, 'v');
      }
    });
    printer.write(')');
  }
  return printer.buffer;
}

/** A verb that is not ASCII: Go decodes one rune and prints it back as UTF-8. */
function decodeVerb(format: ByteString, index: number): { verb: ByteString; size: number } {
  const first = format.charCodeAt(index);
  const size = first >= 0xc2 && first <= 0xf4 ? runeSize(format, index) : 1;
  const verb = size === 1 ? encodeRune(RUNE_ERROR) : format.slice(index, index + size);
  return { verb, size };
}
