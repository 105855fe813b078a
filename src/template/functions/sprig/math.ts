/**
 * sprig's arithmetic: int64 functions over cast's conversions (add "2" 1 is 3, add 1.9 0 is 1), float64
 * functions through shopspring/decimal (each operand made exact from its shortest decimal form, division
 * rounded to 16 places, half away from zero), Go's math (round uses math.Pow, Modf, Ceil/Floor), until/seq.
 * Pure.
 */
import { GoFuncError } from '../../errors.ts';
import { sprint } from '../../go-fmt.ts';
import { formatFloat } from '../../go-strconv.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import { GoInt, GoList, goInt, type CallContext, type GoFunc, type GoValue } from '../../values.ts';
import { toFloat64, toInt64 } from './convert.ts';
import { ANY, checkSize, fn, runtimeError } from './define.ts';

const int64 = (value: bigint): GoInt => new GoInt('int64', value);
const int = (value: GoValue | undefined): number => Number((value as GoInt).value);

// -- shopspring/decimal, as far as sprig uses it -----------------------------------------------------------

interface Decimal {
  /** value × 10^exp */
  readonly value: bigint;
  readonly exp: number;
}

const DIVISION_PRECISION = 16;

function decimalFromFloat(value: number): Decimal {
  if (!Number.isFinite(value)) {
    throw new GoFuncError(`Cannot create a Decimal from ${formatFloat(value, 'g', -1)}`);
  }
  if (value === 0) return { value: 0n, exp: 0 };
  const [mantissa = '0', exponent = '0'] = formatFloat(Math.abs(value), 'e', -1).split('e');
  const digits = mantissa.replace('.', '');
  const magnitude = BigInt(digits);
  return { value: value < 0 ? -magnitude : magnitude, exp: Number(exponent) - (digits.length - 1) };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const exp = Math.min(a.exp, b.exp);
  return [a.value * 10n ** BigInt(a.exp - exp), b.value * 10n ** BigInt(b.exp - exp), exp];
}

function decimalAdd(a: Decimal, b: Decimal): Decimal {
  const [x, y, exp] = align(a, b);
  return { value: x + y, exp };
}

function decimalSub(a: Decimal, b: Decimal): Decimal {
  const [x, y, exp] = align(a, b);
  return { value: x - y, exp };
}

function decimalMul(a: Decimal, b: Decimal): Decimal {
  return { value: a.value * b.value, exp: a.exp + b.exp };
}

function decimalDiv(a: Decimal, b: Decimal): Decimal {
  if (b.value === 0n) throw new GoFuncError('decimal division by 0');
  // |a| / |b| × 10^16 as the fraction numerator / denominator, then rounded half away from zero.
  const shift = a.exp - b.exp + DIVISION_PRECISION;
  let numerator = a.value < 0n ? -a.value : a.value;
  let denominator = b.value < 0n ? -b.value : b.value;
  if (shift >= 0) numerator *= 10n ** BigInt(shift);
  else denominator *= 10n ** BigInt(-shift);
  let quotient = numerator / denominator;
  if (2n * (numerator % denominator) >= denominator) quotient++;
  const negative = a.value < 0n !== b.value < 0n;
  return { value: negative ? -quotient : quotient, exp: -DIVISION_PRECISION };
}

function decimalToFloat(value: Decimal): number {
  return Number(`${value.value}e${value.exp}`);
}

function decimalOp(
  first: GoValue,
  rest: readonly GoValue[],
  op: (a: Decimal, b: Decimal) => Decimal,
): number {
  let result = decimalFromFloat(toFloat64(first));
  for (const operand of rest) result = op(result, decimalFromFloat(toFloat64(operand)));
  return decimalToFloat(result);
}

// -- Go's math ---------------------------------------------------------------------------------------------

function frexp(value: number): [fraction: number, exponent: number] {
  if (value === 0 || !Number.isFinite(value)) return [value, 0];
  let exponent = Math.max(-1073, Math.floor(Math.log2(Math.abs(value))) + 1);
  let fraction = value * 2 ** -exponent;
  while (Math.abs(fraction) < 0.5) {
    fraction *= 2;
    exponent--;
  }
  while (Math.abs(fraction) >= 1) {
    fraction /= 2;
    exponent++;
  }
  return [fraction, exponent];
}

function ldexp(fraction: number, exponent: number): number {
  // Scaling in steps keeps every intermediate product exact (powers of two, no overflow on the way).
  let result = fraction;
  while (exponent > 1000) {
    result *= 2 ** 1000;
    exponent -= 1000;
  }
  while (exponent < -1000) {
    result *= 2 ** -1000;
    exponent += 1000;
  }
  return result * 2 ** exponent;
}

/** math.Pow as Go computes it (repeated squaring on the mantissa; results can differ from Math.pow in the last bit). */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (y === 1) return x;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0 || !Number.isFinite(y) || !Number.isFinite(x) || y === 0.5 || y === -0.5) return x ** y;
  let yi = Math.trunc(Math.abs(y));
  let yf = Math.abs(y) - yi;
  if (yf !== 0 && x < 0) return NaN;
  if (yi >= 2 ** 63) return x ** y;
  let a1 = 1;
  let ae = 0;
  if (yf !== 0) {
    if (yf > 0.5) {
      yf--;
      yi++;
    }
    a1 = Math.exp(yf * Math.log(x));
  }
  let [x1, xe] = frexp(x);
  for (let i = BigInt(yi); i !== 0n; i >>= 1n) {
    if (xe < -(1 << 12) || 1 << 12 < xe) {
      ae += xe;
      break;
    }
    if ((i & 1n) === 1n) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe <<= 1;
    if (x1 < 0.5) {
      x1 += x1;
      xe--;
    }
  }
  if (y < 0) {
    a1 = 1 / a1;
    ae = -ae;
  }
  return ldexp(a1, ae);
}

/** sprig's round: ceil when the fraction of value×10^places reaches roundOn (default .5), else floor. */
function round(value: number, places: number, roundOn: number): number {
  const pow = goPow(10, places);
  const digit = pow * value;
  const fraction = digit - Math.trunc(digit);
  const rounded = fraction >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return rounded / pow;
}

// -- integer sequences -------------------------------------------------------------------------------------

export function untilStep(start: number, stop: number, step: number, context: CallContext): number[] {
  const values: number[] = [];
  if (stop < start) {
    if (step >= 0) return values;
    checkSize(Math.ceil((start - stop) / -step), context);
    for (let i = start; i > stop; i += step) values.push(i);
    return values;
  }
  if (step <= 0) return values;
  checkSize(Math.ceil((stop - start) / step), context);
  for (let i = start; i < stop; i += step) values.push(i);
  return values;
}

function intList(values: number[]): GoList {
  return new GoList(
    '[]int',
    values.map((value) => goInt(value)),
  );
}

function seq(params: number[], context: CallContext): ByteString {
  const join = (values: number[]): ByteString => values.join(' ');
  switch (params.length) {
    case 1: {
      const end = params[0]!;
      const increment = end < 1 ? -1 : 1;
      return join(untilStep(1, end + increment, increment, context));
    }
    case 2: {
      const [start, end] = params as [number, number];
      const step = end < start ? -1 : 1;
      return join(untilStep(start, end + step, step, context));
    }
    case 3: {
      const [start, step, end] = params as [number, number, number];
      let increment = 1;
      if (end < start) {
        increment = -1;
        if (step > 0) return '';
      }
      return join(untilStep(start, end + increment, step, context));
    }
  }
  return '';
}

/** strconv.Atoi: base 10, optional sign; out of range gives the clamped value (sprig drops the error). */
function atoi(text: ByteString): bigint {
  const match = /^([+-]?)([0-9]+)$/.exec(text);
  if (!match) return 0n;
  const value = BigInt(text);
  if (value > 2n ** 63n - 1n) return 2n ** 63n - 1n;
  if (value < -(2n ** 63n)) return -(2n ** 63n);
  return value;
}

/** strconv.ParseInt(s, 8, 64), 0 on any error. */
function parseOctal(text: ByteString): bigint {
  const match = /^([+-]?)([0-7]+)$/.exec(text);
  if (!match) return 0n;
  const value = BigInt(`0o${match[2]}`) * (match[1] === '-' ? -1n : 1n);
  return value > 2n ** 63n - 1n || value < -(2n ** 63n) ? 0n : value;
}

export function mathFunctions(): GoFunc[] {
  const maxOf = (values: GoValue[], pick: (a: bigint, b: bigint) => boolean): GoInt => {
    let best = toInt64(values[0]!);
    for (const value of values.slice(1)) {
      const candidate = toInt64(value);
      if (pick(candidate, best)) best = candidate;
    }
    return int64(best);
  };
  const biggest = fn('biggest', [ANY, ANY], 'int64', (values) => maxOf(values, (a, b) => a > b), {
    variadic: true,
  });
  return [
    fn('atoi', ['string'], 'int', ([text]) => goInt(atoi(text as ByteString))),
    fn('int64', [ANY], 'int64', ([value]) => int64(toInt64(value!))),
    fn('int', [ANY], 'int', ([value]) => goInt(toInt64(value!))),
    fn('float64', [ANY], 'float64', ([value]) => toFloat64(value!)),
    fn('seq', ['int'], 'string', (params, context) => seq(params.map(int), context), { variadic: true }),
    fn('toDecimal', [ANY], 'int64', ([value]) => int64(parseOctal(sprint([value!])))),
    fn('until', ['int'], '[]int', ([count], context) => {
      const n = int(count);
      return intList(untilStep(0, n, n < 0 ? -1 : 1, context));
    }),
    fn('untilStep', ['int', 'int', 'int'], '[]int', ([start, stop, step], context) =>
      intList(untilStep(int(start), int(stop), int(step), context)),
    ),
    fn('add1', [ANY], 'int64', ([value]) => int64(toInt64(value!) + 1n)),
    fn(
      'add',
      [ANY],
      'int64',
      (values) => int64(values.reduce<bigint>((sum, value) => sum + toInt64(value), 0n)),
      {
        variadic: true,
      },
    ),
    fn('sub', [ANY, ANY], 'int64', ([a, b]) => int64(toInt64(a!) - toInt64(b!))),
    fn('div', [ANY, ANY], 'int64', ([a, b]) => {
      const divisor = toInt64(b!);
      if (divisor === 0n) throw runtimeError('integer divide by zero');
      return int64(toInt64(a!) / divisor);
    }),
    fn('mod', [ANY, ANY], 'int64', ([a, b]) => {
      const divisor = toInt64(b!);
      if (divisor === 0n) throw runtimeError('integer divide by zero');
      return int64(toInt64(a!) % divisor);
    }),
    fn(
      'mul',
      [ANY, ANY],
      'int64',
      ([first, ...rest]) =>
        int64(
          rest.reduce<bigint>(
            (product, value) => BigInt.asIntN(64, product * toInt64(value)),
            toInt64(first!),
          ),
        ),
      { variadic: true },
    ),
    fn('add1f', [ANY], 'float64', ([value]) => decimalOp(value!, [goInt(1)], decimalAdd)),
    fn('addf', [ANY], 'float64', (values) => decimalOp(0, values, decimalAdd), { variadic: true }),
    fn('subf', [ANY, ANY], 'float64', ([first, ...rest]) => decimalOp(first!, rest, decimalSub), {
      variadic: true,
    }),
    fn('divf', [ANY, ANY], 'float64', ([first, ...rest]) => decimalOp(first!, rest, decimalDiv), {
      variadic: true,
    }),
    fn('mulf', [ANY, ANY], 'float64', ([first, ...rest]) => decimalOp(first!, rest, decimalMul), {
      variadic: true,
    }),
    biggest,
    fn('max', [ANY, ANY], 'int64', (values) => maxOf(values, (a, b) => a > b), { variadic: true }),
    fn('min', [ANY, ANY], 'int64', (values) => maxOf(values, (a, b) => a < b), { variadic: true }),
    fn(
      'maxf',
      [ANY, ANY],
      'float64',
      ([first, ...rest]) =>
        rest.reduce<number>((best, value) => Math.max(best, toFloat64(value)), toFloat64(first!)),
      { variadic: true },
    ),
    fn(
      'minf',
      [ANY, ANY],
      'float64',
      ([first, ...rest]) =>
        rest.reduce<number>((best, value) => Math.min(best, toFloat64(value)), toFloat64(first!)),
      { variadic: true },
    ),
    fn('ceil', [ANY], 'float64', ([value]) => Math.ceil(toFloat64(value!))),
    fn('floor', [ANY], 'float64', ([value]) => Math.floor(toFloat64(value!))),
    fn(
      'round',
      [ANY, 'int', 'float64'],
      'float64',
      ([value, places, roundOn]) =>
        round(toFloat64(value!), int(places), roundOn === undefined ? 0.5 : (roundOn as number)),
      { variadic: true },
    ),
  ];
}
