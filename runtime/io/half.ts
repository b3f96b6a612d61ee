/**
 * Half-precision conversions (IEEE binary16 and bfloat16) for checkpoint I/O. Readers widen to float32
 * exactly; writers narrow with round-to-nearest-even, as PyTorch's `.to(torch.float16/bfloat16)` does.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** binary16 bits → float32 value (exact: every f16 is representable in f32). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 value → binary16 bits, round to nearest even; overflow → ±Inf, NaN stays NaN. */
export function f32ToF16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa right and round to nearest even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = m & ((1 << shift) - 1);
    let out = m >>> shift;
    if (rem > half || (rem === half && out & 1)) out++;
    return sign | out;
  }
  let out = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top).
  if (rem > 0x1000 || (rem === 0x1000 && out & 1)) out++;
  return sign | out;
}

/** bfloat16 bits → float32 value (exact). */
export function bf16ToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

/** float32 value → bfloat16 bits, round to nearest even; NaN stays a quiet NaN. */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Widen little-endian f16 or bf16 bytes into a new Float32Array. */
export function widenHalf(bytes: Uint8Array, kind: 'f16' | 'bf16'): Float32Array {
  const n = bytes.length >> 1;
  const out = new Float32Array(n);
  if (kind === 'bf16') {
    const o32 = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) o32[i] = (bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16;
    return out;
  }
  // 65,536-entry table: widening large f16 checkpoints is then a lookup per element.
  const table = f16Table();
  for (let i = 0; i < n; i++) out[i] = table[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  return out;
}

let table16: Float32Array | undefined;
function f16Table(): Float32Array {
  if (!table16) {
    table16 = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table16[h] = f16ToF32(h);
  }
  return table16;
}

/** Narrow float32 values to little-endian f16 or bf16 bytes. */
export function narrowHalf(data: Float32Array, kind: 'f16' | 'bf16'): Uint8Array {
  const out = new Uint8Array(data.length * 2);
  const conv = kind === 'f16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < data.length; i++) {
    const h = conv(data[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}
