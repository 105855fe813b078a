/**
 * sprig's random functions: randAlphaNum, randAlpha, randNumeric, randAscii (goutils' crypto-random strings:
 * [0-9A-Za-z], [A-Za-z], [0-9], printable ASCII 32–126; a negative count gives ""), randInt, shuffle (the
 * runes of a string in random order) and uuidv4. Randomness comes from the environment.
 */
import { GoFuncError } from '../../errors.ts';
import type { ByteString } from '../../../common/go-utf8.ts';
import { goInt, type GoFunc, type GoInt, type GoValue } from '../../values.ts';
import { checkSize, fn } from './define.ts';
import { randomInt, type SprigEnvironment } from './environment.ts';
import { runesOf, stringOfRunes } from '../../../common/go-unicode.ts';

const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
let ASCII = '';
for (let code = 32; code < 127; code++) ASCII += String.fromCharCode(code);

const int = (value: GoValue | undefined): number => Number((value as GoInt).value);

export function randomFunctions(environment: SprigEnvironment): GoFunc[] {
  const randomString = (name: string, alphabet: string): GoFunc =>
    fn(name, ['int'], 'string', ([count], context) => {
      const n = int(count);
      if (n <= 0) return '';
      checkSize(n, context);
      let out = '';
      for (let index = 0; index < n; index++) out += alphabet[randomInt(environment, alphabet.length)];
      return out;
    });
  return [
    randomString('randAlphaNum', DIGITS + LETTERS),
    randomString('randAlpha', LETTERS),
    randomString('randNumeric', DIGITS),
    randomString('randAscii', ASCII),
    fn('randInt', ['int', 'int'], 'int', ([min, max]) => {
      const n = int(max) - int(min);
      if (n <= 0) throw new GoFuncError('invalid argument to Intn');
      return goInt(randomInt(environment, Math.min(n, 2 ** 32)) + int(min));
    }),
    fn('shuffle', ['string'], 'string', ([text], context) => {
      const runes = runesOf(text as ByteString);
      context.charge(runes.length);
      for (let i = runes.length - 1; i > 0; i--) {
        const j = randomInt(environment, i + 1);
        [runes[i], runes[j]] = [runes[j]!, runes[i]!];
      }
      return stringOfRunes(runes);
    }),
    fn('uuidv4', [], 'string', () => {
      const bytes = environment.randomBytes(16);
      bytes[6] = (bytes[6]! & 0x0f) | 0x40;
      bytes[8] = (bytes[8]! & 0x3f) | 0x80;
      const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }),
  ];
}
