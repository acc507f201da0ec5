/**
 * Number parsing and formatting with Redis 7.0's exact rules.
 *
 * Integers. Redis parses integer arguments and values with `string2ll`:
 * optional '-', no '+', no leading zeros ("0" itself is fine, "-0" is not),
 * no spaces, at most 20 characters, within the signed 64-bit range.
 * `parseSafeInt` is the fast path for the common case (the value fits in a JS
 * safe integer); `parseInt64` covers the full int64 range with a bigint.
 *
 * Doubles. `parseDouble` follows `string2d` (ZADD, ZINCRBY, ...): C `strtod`
 * syntax (decimal, hexadecimal floats, "inf"/"infinity" in any case, an
 * optional sign) over the whole argument, refusing an empty string, leading
 * whitespace, NaN, overflow to infinity and underflow to zero. Decimal input
 * is converted by `Number()`, which rounds correctly as glibc does; only the
 * syntax is checked here. `formatDouble` prints like `%.17g` (addReplyDouble
 * in 7.0), with glibc's exact round-half-even on the binary value.
 *
 * Long doubles. INCRBYFLOAT and HINCRBYFLOAT compute in the x87 80-bit long
 * double (64-bit mantissa, exponent range of 2^-16445..2^16384) and print with
 * `%.17Lf`, then drop trailing zeros (ld2string's LD_STR_HUMAN mode). So
 * 0.1 + 0.2 prints "0.3" there, and 1e20 prints as 21 digits. We emulate that
 * arithmetic exactly with bigints: `LongDouble` holds `mant * 2^exp`, parsing
 * rounds the exact decimal to the nearest long double (round-half-even, with
 * subnormals), addition is exact then rounded once, and formatting rounds the
 * exact binary value to 17 decimals. The results are therefore the ones Redis
 * on x86-64 Linux gives, digit for digit, not an approximation.
 */
import { NOT_FLOAT, RespError } from './errors.js';

/*------------------------------------------------------------------------------
 * Integers
 *----------------------------------------------------------------------------*/

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True if `s` has string2ll's syntax (sign, digits, no leading zero, ≤ 20 chars). Range is not checked. */
function isCanonicalInteger(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  if (n === 1) {
    const c = s.charCodeAt(0);
    return c >= 0x30 && c <= 0x39;
  }
  let i = s.charCodeAt(0) === 0x2d ? 1 : 0;
  const first = s.charCodeAt(i);
  if (first < 0x31 || first > 0x39) return false;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Parses canonical signed 64-bit integer text (Redis's string2ll) that also
 * fits in a JS safe integer. Returns undefined otherwise: for text that is not
 * an integer at all, and for valid int64 values beyond ±(2^53-1) (callers
 * then try `parseInt64`).
 */
export function parseSafeInt(s: string): number | undefined {
  const n = s.length;
  if (n === 0 || n > 17) {
    // 16 digits plus a sign always fit; longer text may still be an int64.
    return undefined;
  }
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 0x2d) {
    if (n === 1) return undefined;
    neg = true;
    i = 1;
  }
  let c = s.charCodeAt(i);
  if (c === 0x30) return n === 1 ? 0 : undefined;
  if (c < 0x31 || c > 0x39) return undefined;
  let v = c - 0x30;
  for (i++; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    v = v * 10 + (c - 0x30);
  }
  if (v > Number.MAX_SAFE_INTEGER) return undefined;
  return neg ? -v : v;
}

/** Parses canonical signed 64-bit integer text (string2ll) as a bigint; undefined if invalid or out of range. */
export function parseInt64(s: string): bigint | undefined {
  if (!isCanonicalInteger(s)) return undefined;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

/**
 * Parses an int64 argument as a number when it is a safe integer, else a
 * bigint; undefined if it is not a valid int64. Convenience for commands that
 * accept the whole int64 range but are almost always given small values.
 */
export function parseInteger(s: string): number | bigint | undefined {
  const n = parseSafeInt(s);
  return n !== undefined ? n : parseInt64(s);
}

/** True if `v` (a number or a bigint) lies in the signed 64-bit range. */
export function inInt64Range(v: number | bigint): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v) || (v >= -(2 ** 63) && v < 2 ** 63);
  return v >= INT64_MIN && v <= INT64_MAX;
}

export { INT64_MIN, INT64_MAX };

/*------------------------------------------------------------------------------
 * Exact binary floating point (shared by doubles and long doubles)
 *----------------------------------------------------------------------------*/

/** Binary format parameters: mantissa bits, lowest exponent of the last mantissa bit, highest. */
interface FloatFormat {
  readonly bits: number;
  /** Exponent of the least significant bit of the smallest subnormal. */
  readonly minExp: number;
  /** Highest exponent of the least significant bit of a finite value. */
  readonly maxExp: number;
}

/** IEEE double: 53 bits, 2^-1074 .. (2^53-1)*2^971. */
const DOUBLE: FloatFormat = { bits: 53, minExp: -1074, maxExp: 971 };
/** x87 extended: 64 bits, 2^-16445 .. (2^64-1)*2^16320. */
const EXTENDED: FloatFormat = { bits: 64, minExp: -16445, maxExp: 16320 };

export const enum Kind {
  Finite = 0,
  Infinite = 1,
  NaN = 2,
}

/**
 * An x87 80-bit long double held exactly: `(-1)^neg * mant * 2^exp` with
 * `mant < 2^64`. `kind` marks infinities and NaN (mant/exp are then 0).
 */
export class LongDouble {
  constructor(
    readonly neg: boolean,
    readonly mant: bigint,
    readonly exp: number,
    readonly kind: Kind = Kind.Finite,
  ) {}

  isFinite(): boolean {
    return this.kind === Kind.Finite;
  }

  isNaN(): boolean {
    return this.kind === Kind.NaN;
  }

  /** The exact long double equal to a JS number (every double is one). */
  static fromNumber(d: number): LongDouble {
    if (Number.isNaN(d)) return new LongDouble(false, 0n, 0, Kind.NaN);
    if (!Number.isFinite(d)) return new LongDouble(d < 0, 0n, 0, Kind.Infinite);
    const [neg, mant, exp] = decomposeDouble(d);
    return new LongDouble(neg, mant, exp);
  }
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Splits a finite double into sign, integer mantissa and exponent: d = ±mant * 2^exp. */
function decomposeDouble(d: number): [boolean, bigint, number] {
  F64[0] = d;
  const hi = U32[LITTLE_ENDIAN ? 1 : 0]!;
  const lo = U32[LITTLE_ENDIAN ? 0 : 1]!;
  const neg = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074;
  } else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return [neg, mant, exp];
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Integer division of non-negative bigints rounded half to even. */
function divRoundEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/**
 * Rounds the exact value `(-1)^neg * num/den * 2^e2` (num ≥ 0, den > 0) to
 * the nearest value of format `f`, ties to even, with gradual underflow.
 * Returns [mant, exp] with mant 0 for an underflow to zero, or null when the
 * result overflows to infinity.
 */
function roundToFormat(num: bigint, den: bigint, e2: number, f: FloatFormat): [bigint, number] | null {
  if (num === 0n) return [0n, 0];
  // Choose k so that num * 2^k / den lands in [2^(bits-1), 2^bits).
  let k = f.bits - 1 - bitLength(num) + bitLength(den);
  const scaled = (kk: number): [bigint, bigint] => (kk >= 0 ? [num << BigInt(kk), den] : [num, den << BigInt(-kk)]);
  let [n, d] = scaled(k);
  if (n / d < 1n << BigInt(f.bits - 1)) {
    k++;
    [n, d] = scaled(k);
  }
  // Subnormal range: the last bit cannot go below minExp.
  if (e2 - k < f.minExp) {
    k = e2 - f.minExp;
    [n, d] = scaled(k);
  }
  let q = divRoundEven(n, d);
  let exp = e2 - k;
  if (q === 1n << BigInt(f.bits)) {
    q >>= 1n;
    exp++;
  }
  if (q === 0n) return [0n, 0];
  if (exp > f.maxExp) return null;
  return [q, exp];
}

/**
 * Rounds `mant * 2^exp * 10^scale` (mant ≥ 0) to an integer, ties to even:
 * the digits glibc's printf produces for a binary value.
 */
function scaleToInteger(mant: bigint, exp: number, scale: number): bigint {
  let num = mant;
  let den = 1n;
  if (scale >= 0) num *= 10n ** BigInt(scale);
  else den = 10n ** BigInt(-scale);
  if (exp >= 0) num <<= BigInt(exp);
  else den <<= BigInt(-exp);
  return divRoundEven(num, den);
}

/*------------------------------------------------------------------------------
 * strtod / strtold syntax
 *----------------------------------------------------------------------------*/

const DECIMAL_RE = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX_RE = /^([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^([+-]?)(?:inf|infinity)$/i;

/** A parsed strtod input: an exact rational `num/den * 2^e2` or an infinity. */
interface ParsedReal {
  neg: boolean;
  /** Infinite input ("inf", "infinity"). */
  inf: boolean;
  /** Finite input whose magnitude is certainly beyond the format: 1 overflows, -1 underflows to zero. */
  range?: 1 | -1;
  num: bigint;
  den: bigint;
  e2: number;
}

/** Exponent text clamped so absurd exponents ("1e99999999999") stay cheap; the result then over/underflows anyway. */
function clampExponent(text: string | undefined, limit: number): number {
  if (text === undefined) return 0;
  const v = Number(text);
  return v > limit ? limit : v < -limit ? -limit : v;
}

/**
 * Parses strtod syntax over the whole of `s` (no leading or trailing
 * whitespace, no NUL) exactly. `magnitudeLimit` bounds the decimal magnitude
 * that can be finite and nonzero, to avoid computing huge powers for input that
 * is going to overflow or underflow anyway. NaN input returns undefined.
 */
function parseReal(s: string, magnitudeLimit: number): ParsedReal | undefined {
  let m = DECIMAL_RE.exec(s);
  if (m !== null) {
    const neg = m[1] === '-';
    const intPart = m[2] ?? '';
    const frac = m[3] ?? m[4] ?? '';
    let digits = (intPart + frac).replace(/^0+/, '');
    if (digits === '') return { neg, inf: false, num: 0n, den: 1n, e2: 0 };
    let e10 = clampExponent(m[5], 1e6) - frac.length;
    const stripped = digits.replace(/0+$/, '');
    e10 += digits.length - stripped.length;
    digits = stripped;
    const magnitude = digits.length + e10;
    if (magnitude > magnitudeLimit) return { neg, inf: false, num: 1n, den: 1n, e2: 0, range: 1 };
    if (magnitude < -magnitudeLimit) return { neg, inf: false, num: 1n, den: 1n, e2: 0, range: -1 };
    const d = BigInt(digits);
    return e10 >= 0
      ? { neg, inf: false, num: d * 10n ** BigInt(e10), den: 1n, e2: 0 }
      : { neg, inf: false, num: d, den: 10n ** BigInt(-e10), e2: 0 };
  }
  m = HEX_RE.exec(s);
  if (m !== null) {
    const neg = m[1] === '-';
    const intPart = m[2] ?? '';
    const frac = m[3] ?? m[4] ?? '';
    const digits = (intPart + frac).replace(/^0+/, '');
    if (digits === '') return { neg, inf: false, num: 0n, den: 1n, e2: 0 };
    const e2 = clampExponent(m[5], 1e6) - 4 * frac.length;
    const magnitude = 4 * digits.length + e2;
    if (magnitude > magnitudeLimit * 4) return { neg, inf: false, num: 1n, den: 1n, e2: 0, range: 1 };
    if (magnitude < -magnitudeLimit * 4) return { neg, inf: false, num: 1n, den: 1n, e2: 0, range: -1 };
    return { neg, inf: false, num: BigInt('0x' + digits), den: 1n, e2 };
  }
  m = INF_RE.exec(s);
  if (m !== null) return { neg: m[1] === '-', inf: true, num: 0n, den: 1n, e2: 0 };
  return undefined;
}

/*------------------------------------------------------------------------------
 * Doubles
 *----------------------------------------------------------------------------*/

/** Quick reject of what strtod can never accept in full: empty, leading space, NUL. */
function badFloatText(s: string): boolean {
  if (s.length === 0) return true;
  const c = s.charCodeAt(0);
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || s.indexOf('\0') !== -1;
}

const SIMPLE_DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a double argument as Redis 7.0's string2d does (ZADD, ZINCRBY,
 * GEOADD...): strtod syntax over the whole string, "inf"/"+inf"/"-inf"/
 * "infinity" in any case accepted, NaN, empty text, leading or trailing
 * whitespace, overflow to ±inf and underflow to zero refused. Returns
 * undefined when refused.
 *
 * ZRANGEBYSCORE's bounds use a laxer rule in Redis (plain strtod: leading
 * spaces and overflow accepted); that command handles its own differences.
 */
export function parseDouble(s: string): number | undefined {
  // The commonest non-decimal arguments (range bounds), before any regex.
  if (s === '+inf' || s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  if (badFloatText(s)) return undefined;
  if (SIMPLE_DECIMAL_RE.test(s)) {
    // Number() rounds decimal text correctly; only over/underflow needs care.
    const v = Number(s);
    if (!Number.isFinite(v)) return undefined;
    if (v === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) return undefined;
    return v;
  }
  const r = parseReal(s, 400);
  if (r === undefined || r.range !== undefined) return undefined;
  if (r.inf) return r.neg ? -Infinity : Infinity;
  // Hexadecimal float: round exactly to a double.
  const rounded = roundToFormat(r.num, r.den, r.e2, DOUBLE);
  if (rounded === null) return undefined;
  const [mant, exp] = rounded;
  if (mant === 0n) return r.num === 0n ? (r.neg ? -0 : 0) : undefined;
  const v = Number(mant) * 2 ** exp;
  return r.neg ? -v : v;
}

/**
 * Formats a double reply as Redis 7.0 does (addReplyDouble): "inf", "-inf",
 * else C's `%.17g` (17 significant digits, trailing zeros removed, exponent
 * form below 1e-4 or from 1e17 on, as in "1e+17" and "1.0000000000000001e-05").
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // An integer below 1e16 has at most 16 digits, all exact: %.17g prints
  // exactly those (trailing zeros of the fraction dropped), as String does.
  // The common case (integer scores), without the two toExponential calls,
  // each a bignum computation in V8.
  if (Number.isInteger(d) && d < 1e16 && d > -1e16) return String(d);
  // toExponential rounds ties away from zero; glibc rounds the exact binary
  // value half to even. A tie shows as a trailing 5 at 18 digits: only then
  // compute exactly.
  let digits: string;
  let x: number;
  const e18 = Math.abs(d).toExponential(17);
  if (e18.charCodeAt(18) === 0x35 /* '5' */) {
    [digits, x] = exactSignificant(d, 17);
  } else {
    const e17 = Math.abs(d).toExponential(16);
    const ePos = e17.indexOf('e');
    digits = e17[0]! + e17.slice(2, ePos);
    x = Number(e17.slice(ePos + 1));
  }
  return (d < 0 ? '-' : '') + formatG(digits, x, 17);
}

/** `d` rounded half-even to `p` significant digits: [digit string of length p, decimal exponent of the first digit]. */
function exactSignificant(d: number, p: number): [string, number] {
  const [, mant, exp] = decomposeDouble(Math.abs(d));
  let x = Math.floor(Math.log10(Math.abs(d)));
  for (;;) {
    const n = scaleToInteger(mant, exp, p - 1 - x);
    const s = n.toString();
    if (s.length === p) return [s, x];
    x += s.length > p ? 1 : -1;
  }
}

/** C's %.<p>g from `p` rounded digits and the exponent `x` of the first one. */
function formatG(digits: string, x: number, p: number): string {
  if (x < -4 || x >= p) {
    let mant = digits[0]!;
    const rest = digits.slice(1).replace(/0+$/, '');
    if (rest !== '') mant += '.' + rest;
    const ax = Math.abs(x);
    return mant + (x < 0 ? 'e-' : 'e+') + (ax < 10 ? '0' + ax : String(ax));
  }
  let out: string;
  if (x >= 0) {
    out = digits.slice(0, x + 1) + '.' + digits.slice(x + 1);
  } else {
    out = '0.' + '0'.repeat(-x - 1) + digits;
  }
  out = out.replace(/0+$/, '');
  if (out.endsWith('.')) out = out.slice(0, -1);
  return out;
}

/*------------------------------------------------------------------------------
 * Long doubles (INCRBYFLOAT, HINCRBYFLOAT)
 *----------------------------------------------------------------------------*/

/** Redis's MAX_LONG_DOUBLE_CHARS: longer float text is refused. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

/**
 * Parses text as Redis's string2ld (INCRBYFLOAT values and increments):
 * strtold syntax over the whole string, refusing empty text, text of 5120
 * bytes or more, leading or trailing whitespace, NaN, overflow to infinity
 * and underflow to zero. "inf"/"infinity" are accepted (INCRBYFLOAT then
 * refuses the infinite result). Returns undefined when refused.
 */
export function parseLongDouble(s: string): LongDouble | undefined {
  if (s.length >= MAX_LONG_DOUBLE_CHARS || badFloatText(s)) return undefined;
  const r = parseReal(s, 5000);
  if (r === undefined || r.range !== undefined) return undefined;
  if (r.inf) return new LongDouble(r.neg, 0n, 0, Kind.Infinite);
  if (r.num === 0n) return new LongDouble(r.neg, 0n, 0);
  const rounded = roundToFormat(r.num, r.den, r.e2, EXTENDED);
  if (rounded === null || rounded[0] === 0n) return undefined;
  return new LongDouble(r.neg, rounded[0], rounded[1]);
}

/** `a + b` in long double arithmetic (exact sum rounded once, IEEE signs of zero and infinities). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === Kind.NaN || b.kind === Kind.NaN) return new LongDouble(false, 0n, 0, Kind.NaN);
  if (a.kind === Kind.Infinite || b.kind === Kind.Infinite) {
    if (a.kind === Kind.Infinite && b.kind === Kind.Infinite && a.neg !== b.neg) {
      return new LongDouble(false, 0n, 0, Kind.NaN);
    }
    return a.kind === Kind.Infinite ? a : b;
  }
  if (a.mant === 0n && b.mant === 0n) return new LongDouble(a.neg && b.neg, 0n, 0);
  if (a.mant === 0n) return b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const va = a.mant << BigInt(a.exp - e);
  const vb = b.mant << BigInt(b.exp - e);
  const sum = (a.neg ? -va : va) + (b.neg ? -vb : vb);
  if (sum === 0n) return new LongDouble(false, 0n, 0);
  const neg = sum < 0n;
  const rounded = roundToFormat(neg ? -sum : sum, 1n, e, EXTENDED);
  if (rounded === null) return new LongDouble(neg, 0n, 0, Kind.Infinite);
  return new LongDouble(neg, rounded[0], rounded[1]);
}

/**
 * Formats a long double as INCRBYFLOAT/HINCRBYFLOAT store and reply it
 * (ld2string LD_STR_HUMAN): `%.17Lf`, trailing zeros and a trailing '.'
 * removed, "-0" printed as "0", never exponent form; "inf"/"-inf" for
 * infinities. A JS number is converted exactly first.
 */
export function formatLongDouble(d: number | LongDouble): string {
  const v = typeof d === 'number' ? LongDouble.fromNumber(d) : d;
  if (v.kind === Kind.Infinite) return v.neg ? '-inf' : 'inf';
  if (v.kind === Kind.NaN) return v.neg ? '-nan' : 'nan';
  const n = scaleToInteger(v.mant, v.exp, 17);
  let s = n.toString();
  if (s.length < 18) s = '0'.repeat(18 - s.length) + s;
  let out = s.slice(0, -17) + '.' + s.slice(-17);
  out = out.replace(/0+$/, '');
  if (out.endsWith('.')) out = out.slice(0, -1);
  if (out === '0') return '0';
  return v.neg ? '-' + out : out;
}

/** `ERR increment would produce NaN or Infinity` (INCRBYFLOAT, HINCRBYFLOAT). */
export class IncrNanInfinityError extends RespError {
  constructor() {
    super('ERR increment would produce NaN or Infinity');
  }
}

export const INCR_NAN_INFINITY = new IncrNanInfinityError();

/**
 * INCRBYFLOAT's arithmetic: the new value text for `current` (undefined for a
 * missing key, meaning 0) plus `increment`, computed as Redis does in long
 * double.
 *
 * @throws {NotFloatError} `ERR value is not a valid float` if either text is not a valid long double
 * @throws {IncrNanInfinityError} if the sum is NaN or infinite
 */
export function incrByFloat(current: string | undefined, increment: string): string {
  const value = current === undefined ? new LongDouble(false, 0n, 0) : parseLongDouble(current);
  if (value === undefined) throw NOT_FLOAT;
  const incr = parseLongDouble(increment);
  if (incr === undefined) throw NOT_FLOAT;
  const sum = addLongDouble(value, incr);
  if (!sum.isFinite()) throw INCR_NAN_INFINITY;
  return formatLongDouble(sum);
}
