import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../runtime/train/rng.ts';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../../runtime/io/safetensors.ts';
import { FileFormatError, type HostTensor } from '../../../runtime/io/types.ts';
import { GOLDEN_DIR } from '../../helpers/paths.ts';
import { bytesOf, randomTensor, tempDir, writeRawSafetensors } from './helpers.ts';

const dir = tempDir();

function expectFormatError(fn: () => unknown, file: string, ...parts: (string | RegExp)[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FileFormatError);
  const msg = (err as Error).message;
  expect(msg.startsWith(`${file}: `)).toBe(true);
  for (const p of parts) expect(msg).toMatch(p);
}

/** Nearest value of a finite float grid to x, ties to the even code (an independent, brute-force reference). */
function nearestOnGrid(grid: { value: number; code: number }[], x: number): number {
  let lo = 0;
  let hi = grid.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (grid[mid].value <= x) lo = mid;
    else hi = mid;
  }
  const a = grid[lo];
  const b = grid[hi];
  const da = Math.abs(x - a.value);
  const db = Math.abs(b.value - x);
  if (da < db) return a.value;
  if (db < da) return b.value;
  return (a.code & 1) === 0 ? a.value : b.value;
}

function f16Grid(): { value: number; code: number }[] {
  const out: { value: number; code: number }[] = [];
  for (let code = 0; code < 0x7c00; code++) {
    const e = code >> 10;
    const m = code & 0x3ff;
    const v = e === 0 ? m * Math.pow(2, -24) : (1024 + m) * Math.pow(2, e - 25);
    out.push({ value: v, code });
  }
  return out;
}

describe('safetensors writer and reader', () => {
  const rng = Rng.fromSeed(7);
  const tensors = new Map<string, HostTensor>([
    ['b.weight', randomTensor(rng, [5, 3])],
    ['a.bias', randomTensor(rng, [7])],
    ['c.scalar', randomTensor(rng, [])],
    ['d.empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);

  it('round-trips float32 tensors and metadata bit-exactly', () => {
    const file = join(dir, 'rt.safetensors');
    writeSafetensors(file, tensors, { format: 'pt', note: 'héllo' });
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ format: 'pt', note: 'héllo' });
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      expect(back.tensors.get(name)!.shape).toEqual(t.shape);
      expect(Buffer.from(bytesOf(back.tensors.get(name)!.data)).equals(Buffer.from(bytesOf(t.data)))).toBe(true);
    }
  });

  it('writes deterministic bytes: sorted names, 8-aligned space-padded header, no temp files left', () => {
    const f1 = join(dir, 'det1.safetensors');
    const f2 = join(dir, 'det2.safetensors');
    writeSafetensors(f1, tensors, { x: '1' });
    writeSafetensors(f2, new Map([...tensors].reverse()), { x: '1' });
    const b1 = readFileSync(f1);
    expect(b1.equals(readFileSync(f2))).toBe(true);
    const n = Number(b1.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = b1.subarray(8, 8 + n).toString('utf8');
    expect(header).toMatch(/^\{"__metadata__":\{"x":"1"\},"a\.bias".*"d\.empty":.*\} *$/);
    const h = readSafetensorsHeader(f1);
    expect(h.entries.map((e) => e.name)).toEqual(['a.bias', 'b.weight', 'c.scalar', 'd.empty']);
    expect(h.entries.map((e) => e.begin)).toEqual([0, 28, 88, 92]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('F16 and BF16 round to nearest even against a brute-force grid and widen exactly', () => {
    const n = 4000;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      // Mix normal magnitudes, f16 subnormals, overflow and exact ties.
      const k = i % 4;
      const u = rng.float() * 2 - 1;
      values[i] = k === 0 ? u * 4 : k === 1 ? u * 1e-5 : k === 2 ? u * 70000 : ((rng.int(4096) + 0.5) * 2 ** -12) * Math.sign(u);
    }
    const file16 = join(dir, 'h16.safetensors');
    const fileB = join(dir, 'hb16.safetensors');
    writeSafetensors(file16, new Map([['x', { shape: [n], data: values }]]), undefined, { dtype: 'F16' });
    writeSafetensors(fileB, new Map([['x', { shape: [n], data: values }]]), undefined, { dtype: 'BF16' });
    expect(readSafetensorsHeader(file16).entries[0].dtype).toBe('F16');
    const got16 = readSafetensors(file16).tensors.get('x')!.data;
    const gotB = readSafetensors(fileB).tensors.get('x')!.data;
    const grid = f16Grid();
    const maxHalf = 65504;
    for (let i = 0; i < n; i++) {
      const x = values[i];
      // Values at or beyond max + half an ulp (65520) overflow to infinity in IEEE round-to-nearest.
      const want16 = Math.abs(x) >= 65520 ? Math.sign(x) * Infinity : Math.abs(x) > maxHalf ? Math.sign(x) * maxHalf : x < 0 ? -nearestOnGrid(grid, -x) : nearestOnGrid(grid, x);
      expect(got16[i]).toBe(want16);
      // bf16: keep the top 16 bits of the f32 after round-to-nearest-even on the low 16 (checked via BigInt).
      const bits = BigInt(new Uint32Array(new Float32Array([x]).buffer)[0]);
      const low = bits & 0xffffn;
      let top = bits >> 16n;
      if (low > 0x8000n || (low === 0x8000n && (top & 1n) === 1n)) top += 1n;
      const wantB = new Float32Array(new Uint32Array([Number((top << 16n) & 0xffffffffn)]).buffer)[0];
      expect(gotB[i]).toBe(wantB);
    }
    expect(got16.some((v) => !Number.isFinite(v))).toBe(true);
  });

  it('reads the HF golden llama checkpoint header and data', () => {
    const file = join(GOLDEN_DIR, 'hf', 'hf_llama_stories260K', 'model.safetensors');
    const h = readSafetensorsHeader(file);
    expect(h.entries.length).toBe(47);
    expect(h.metadata).toEqual({ format: 'pt' });
    const { tensors: t } = readSafetensors(file, { names: ['model.layers.0.self_attn.k_proj.weight'] });
    expect(t.size).toBe(1);
    expect(t.get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([32, 64]);
  });
});

describe('safetensors validation', () => {
  const good = new Float32Array([1, 2, 3, 4, 5, 6]);
  const f = (name: string) => join(dir, name);

  it('rejects a file shorter than the length prefix', () => {
    writeFileSync(f('tiny.st'), Buffer.from([1, 2, 3]));
    expectFormatError(() => readSafetensors(f('tiny.st')), f('tiny.st'), /shorter than the 8-byte/);
  });
  it('rejects a header length past the end of the file or over the limit', () => {
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(1000n);
    writeFileSync(f('len.st'), b);
    expectFormatError(() => readSafetensorsHeader(f('len.st')), f('len.st'), /header length 1000 runs past the end of the 16-byte file/);
    b.writeBigUInt64LE(0xffffffffffffn);
    writeFileSync(f('huge.st'), b);
    expectFormatError(() => readSafetensorsHeader(f('huge.st')), f('huge.st'), /exceeds the 100000000-byte limit/);
  });
  it('rejects malformed JSON and non-object headers', () => {
    writeRawSafetensors(f('json.st'), null, new Uint8Array(0), '{"a": {"dtype": "F32",');
    expectFormatError(() => readSafetensors(f('json.st')), f('json.st'), /header is not valid JSON/);
    writeRawSafetensors(f('arr.st'), null, new Uint8Array(0), '[1, 2]');
    expectFormatError(() => readSafetensors(f('arr.st')), f('arr.st'), /does not start with '\{'/);
    writeRawSafetensors(f('meta.st'), { __metadata__: { k: 3 } }, new Uint8Array(0));
    expectFormatError(() => readSafetensors(f('meta.st')), f('meta.st'), /__metadata__ key 'k' is not a string/);
  });
  it('names the tensor with an unknown dtype, bad shape, or bad offsets', () => {
    writeRawSafetensors(f('dt.st'), { w: { dtype: 'F8_E9', shape: [6], data_offsets: [0, 24] } }, bytesOf(good));
    expectFormatError(() => readSafetensors(f('dt.st')), f('dt.st'), /tensor 'w'/, /unknown dtype "F8_E9"/);
    writeRawSafetensors(f('sh.st'), { w: { dtype: 'F32', shape: [2, -3], data_offsets: [0, 24] } }, bytesOf(good));
    expectFormatError(() => readSafetensors(f('sh.st')), f('sh.st'), /tensor 'w'/, /shape/);
    writeRawSafetensors(f('off.st'), { w: { dtype: 'F32', shape: [6], data_offsets: [0] } }, bytesOf(good));
    expectFormatError(() => readSafetensors(f('off.st')), f('off.st'), /tensor 'w'/, /data_offsets/);
    writeRawSafetensors(f('rev.st'), { w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, bytesOf(good));
    expectFormatError(() => readSafetensors(f('rev.st')), f('rev.st'), /tensor 'w'/, /end before they begin/);
  });
  it('names the tensor whose byte length disagrees with its shape', () => {
    writeRawSafetensors(f('len2.st'), { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 24] } }, bytesOf(good));
    expectFormatError(() => readSafetensors(f('len2.st')), f('len2.st'), /tensor 'w': 24 bytes but shape \[2, 2\] of F32 needs 16/);
  });
  it('detects truncation: offsets past the data region', () => {
    const file = f('trunc.st');
    writeSafetensors(file, new Map([['a', { shape: [3], data: good.slice(0, 3) }], ['b', { shape: [3], data: good.slice(3) }]]));
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 5));
    expectFormatError(() => readSafetensors(file), file, /tensor 'b'/, /run past the 19-byte data region/);
  });
  it('detects overlapping tensors, holes and trailing bytes', () => {
    writeRawSafetensors(
      f('ovl.st'),
      { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } },
      bytesOf(good),
    );
    expectFormatError(() => readSafetensors(f('ovl.st')), f('ovl.st'), /tensor 'b': bytes \[8, 24\) overlap tensor 'a'/);
    writeRawSafetensors(
      f('hole.st'),
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [16, 24] } },
      bytesOf(good),
    );
    expectFormatError(() => readSafetensors(f('hole.st')), f('hole.st'), /tensor 'b': data region bytes \[8, 16\) belong to no tensor/);
    writeRawSafetensors(f('tail.st'), { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, bytesOf(good));
    expectFormatError(() => readSafetensors(f('tail.st')), f('tail.st'), /8 trailing bytes/);
  });
  it('parses integer tensors in the header but refuses them as weights', () => {
    writeRawSafetensors(f('int.st'), { step: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, bytesOf(good));
    expect(readSafetensorsHeader(f('int.st')).entries[0]).toMatchObject({ name: 'step', dtype: 'I64', shape: [3] });
    expectFormatError(() => readSafetensors(f('int.st')), f('int.st'), /tensor 'step': dtype I64 cannot be a weight/);
  });
  it('names a requested tensor that is absent and a file that does not exist', () => {
    const file = f('one.st');
    writeSafetensors(file, new Map([['a', { shape: [6], data: good }]]));
    expectFormatError(() => readSafetensors(file, { names: ['zzz'] }), file, /has no tensor 'zzz'/);
    expectFormatError(() => readSafetensors(f('missing.st')), f('missing.st'), /cannot open: ENOENT/);
  });
  it('refuses to write a tensor whose data does not match its shape', () => {
    expect(() => writeSafetensors(f('bad.st'), new Map([['a', { shape: [5], data: good }]]))).toThrow(/tensor 'a' has 6 values but shape \[5\]/);
  });
  it('seeded random corruption of the header bytes gives a FileFormatError or a valid read, never a crash', () => {
    const file = f('fuzz.st');
    const rng = Rng.fromSeed(99, 'safetensors-fuzz');
    writeSafetensors(file, new Map([['a', { shape: [2, 3], data: good }], ['b', { shape: [0], data: new Float32Array(0) }]]), { k: 'v' });
    const bytes = readFileSync(file);
    const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
    let errors = 0;
    for (let k = 0; k < 400; k++) {
      const b = Buffer.from(bytes);
      for (let j = 0, n = 1 + rng.int(3); j < n; j++) b[rng.int(headerEnd)] = rng.int(256);
      writeFileSync(file, b);
      try {
        readSafetensors(file);
      } catch (e) {
        expect((e as Error).name, (e as Error).message).toBe('FileFormatError');
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(200);
  });
});
