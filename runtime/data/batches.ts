/**
 * Training batches: B rows of T input tokens and their T next-token targets, drawn from one or more parts
 * mixed by weight. A text part yields a window at a uniformly random offset of its token stream (offsets in
 * [0, len − T − 1), as the reference recipe's `torch.randint(0, len(stream) - T - 1)`); a teacher part asks an
 * injected sampler for T + 1 tokens (the teacher-model code supplies it, with its temperature/top-p).
 *
 * One seeded Rng (runtime/train/rng.ts) drives every choice — which part, which offset, and the sampler's own
 * draws — so `state()` is just that generator's state plus counters, and `restore(state)` makes a resumed
 * run draw the identical next batch.
 *
 * `ShuffledWindowSource` is the epoch-based alternative: non-overlapping windows in a seeded permutation per
 * epoch (every window seen once per epoch), state = (epoch, position).
 */
import { Rng, type RngState } from '../train/rng.ts';

export interface Batch {
  batch: number;
  seqLen: number;
  /** [batch × seqLen] token ids. */
  inputs: Int32Array;
  /** [batch × seqLen]: targets[r, t] = the token after inputs[r, t]. */
  targets: Int32Array;
  /** Index of the part each row came from. */
  parts: Uint8Array;
}

/** Returns `length` tokens (BOS first, as the teacher would start a sequence), using only `rng` for randomness. */
export type TeacherSampler = (rng: Rng, length: number) => ArrayLike<number> | Promise<ArrayLike<number>>;

/**
 * Teacher rows decoded `rows` at a time: a decode runs 256 sequential small steps whatever its width, so a
 * block of 64 rows gives ×9–10 the tokens/s of one row per decode on wasm (bench/data/teacher-samples.ts). Each
 * block is sampled from its own Rng, seeded by one draw of the source's Rng, so the source's state (that seed
 * and how many rows of the block were used) regenerates the block exactly on resume.
 */
export interface TeacherPool {
  rows: number;
  sample: (rng: Rng, length: number, rows: number) => Promise<ArrayLike<number>[]>;
}

export type SourcePart =
  | { kind: 'text'; name?: string; tokens: Int32Array; weight?: number }
  | { kind: 'teacher'; name?: string; sampler: TeacherSampler; weight?: number }
  | { kind: 'teacher'; name?: string; pool: TeacherPool; weight?: number };

export interface RandomWindowState {
  kind: 'random-windows';
  rng: RngState;
  batches: number;
  /** Per pooled teacher part (by index): the current block's seed and the rows of it already used. */
  pools?: Record<number, { seed: number; used: number }>;
}

interface PoolBlock {
  seed: number;
  used: number;
  /** null after a restore until the block is regenerated from its seed. */
  rows: ArrayLike<number>[] | null;
}

export interface RandomWindowOptions {
  parts: SourcePart[];
  batch: number;
  seqLen: number;
  seed: number;
  /** Rng stream label (default 'data'): distinct labels give independent streams for the same seed. */
  stream?: string;
}

export class RandomWindowSource {
  private rng: Rng;
  private drawn = 0;
  private pools = new Map<number, PoolBlock>();
  private readonly cumulative: number[];
  readonly batch: number;
  readonly seqLen: number;
  readonly parts: SourcePart[];

  constructor(opts: RandomWindowOptions) {
    const { parts, batch, seqLen } = opts;
    if (parts.length === 0 || parts.length > 255) throw new RangeError('RandomWindowSource: needs 1 to 255 parts');
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`RandomWindowSource: batch must be a positive integer, got ${batch}`);
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new RangeError(`RandomWindowSource: seqLen must be a positive integer, got ${seqLen}`);
    let total = 0;
    this.cumulative = parts.map((p, i) => {
      const w = p.weight ?? 1;
      if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`RandomWindowSource: part ${i} has weight ${w}`);
      if (p.kind === 'text' && p.tokens.length < seqLen + 2)
        throw new RangeError(`RandomWindowSource: text part '${p.name ?? i}' has ${p.tokens.length} tokens, fewer than seqLen + 2 = ${seqLen + 2}`);
      total += w;
      return total;
    });
    if (!(total > 0)) throw new RangeError('RandomWindowSource: the part weights sum to 0');
    this.cumulative = this.cumulative.map((c) => c / total);
    this.parts = parts;
    this.batch = batch;
    this.seqLen = seqLen;
    this.rng = Rng.fromSeed(opts.seed, opts.stream ?? 'data');
  }

  get batchesDrawn(): number {
    return this.drawn;
  }

  state(): RandomWindowState {
    const out: RandomWindowState = { kind: 'random-windows', rng: this.rng.state(), batches: this.drawn };
    if (this.pools.size > 0) out.pools = Object.fromEntries([...this.pools].map(([i, b]) => [i, { seed: b.seed, used: b.used }]));
    return out;
  }

  restore(s: RandomWindowState): void {
    if (s?.kind !== 'random-windows') throw new Error(`data state: expected kind 'random-windows', got ${JSON.stringify(s?.kind)}`);
    this.rng = Rng.fromState(s.rng);
    this.drawn = s.batches;
    this.pools = new Map(Object.entries(s.pools ?? {}).map(([i, b]) => [Number(i), { seed: b.seed, used: b.used, rows: null }]));
  }

  /** The next batch; for sources whose teacher sampler is synchronous (text-only sources always are). */
  next(): Batch {
    if (this.parts.some((p) => 'pool' in p)) throw new Error('RandomWindowSource.next(): a pooled teacher part decodes asynchronously; use nextAsync()');
    const saved = this.rng.state();
    const out = this.empty();
    for (let r = 0; r < this.batch; r++) {
      const part = this.pickPart();
      const row = this.drawRow(part);
      if (isPromise(row)) {
        this.rng = Rng.fromState(saved);
        throw new Error('RandomWindowSource.next(): a teacher sampler returned a Promise; use nextAsync()');
      }
      this.fill(out, r, part, row);
    }
    this.drawn++;
    return out;
  }

  async nextAsync(): Promise<Batch> {
    const out = this.empty();
    for (let r = 0; r < this.batch; r++) {
      const part = this.pickPart();
      this.fill(out, r, part, await this.drawRow(part));
    }
    this.drawn++;
    return out;
  }

  private empty(): Batch {
    const n = this.batch * this.seqLen;
    return { batch: this.batch, seqLen: this.seqLen, inputs: new Int32Array(n), targets: new Int32Array(n), parts: new Uint8Array(this.batch) };
  }

  private pickPart(): number {
    if (this.parts.length === 1) return 0;
    const u = this.rng.float();
    const i = this.cumulative.findIndex((c) => u < c);
    return i < 0 ? this.parts.length - 1 : i;
  }

  private drawRow(i: number): ArrayLike<number> | Promise<ArrayLike<number>> {
    const p = this.parts[i];
    const T = this.seqLen;
    if (p.kind === 'text') {
      const o = this.rng.int(p.tokens.length - T - 1);
      return p.tokens.subarray(o, o + T + 1);
    }
    if ('pool' in p) return this.poolRow(i, p.pool);
    return p.sampler(this.rng, T + 1);
  }

  private async poolRow(i: number, pool: TeacherPool): Promise<ArrayLike<number>> {
    let block = this.pools.get(i);
    if (!block || block.used >= pool.rows) {
      block = { seed: this.rng.int(2 ** 32), used: 0, rows: null };
      this.pools.set(i, block);
    }
    if (!block.rows) {
      block.rows = await pool.sample(Rng.fromSeed(block.seed, 'teacher-pool'), this.seqLen + 1, pool.rows);
      if (block.rows.length !== pool.rows) throw new Error(`teacher pool for part '${this.parts[i].name ?? i}' returned ${block.rows.length} rows, expected ${pool.rows}`);
    }
    return block.rows[block.used++];
  }

  private fill(out: Batch, r: number, part: number, row: ArrayLike<number>): void {
    const T = this.seqLen;
    if (row.length !== T + 1) throw new Error(`teacher sampler for part '${this.parts[part].name ?? part}' returned ${row.length} tokens, expected ${T + 1}`);
    for (let t = 0; t < T; t++) {
      out.inputs[r * T + t] = row[t];
      out.targets[r * T + t] = row[t + 1];
    }
    out.parts[r] = part;
  }
}

function isPromise<T>(x: T | Promise<T>): x is Promise<T> {
  return typeof (x as { then?: unknown })?.then === 'function';
}

export interface ShuffledWindowState {
  kind: 'shuffled-windows';
  epoch: number;
  position: number;
}

/**
 * Non-overlapping windows of T + 1 tokens (stride T, so every token is a target once per epoch), visited in a
 * permutation that depends only on (seed, epoch).
 */
export class ShuffledWindowSource {
  private epoch = 0;
  private position = 0;
  private order: Int32Array;
  readonly windows: number;

  constructor(
    private readonly tokens: Int32Array,
    readonly batch: number,
    readonly seqLen: number,
    private readonly seed: number,
  ) {
    this.windows = Math.floor((tokens.length - 1) / seqLen);
    if (this.windows < 1) throw new RangeError(`ShuffledWindowSource: ${tokens.length} tokens make no window of ${seqLen + 1}`);
    this.order = this.permutation(0);
  }

  private permutation(epoch: number): Int32Array {
    const idx = Array.from({ length: this.windows }, (_, i) => i);
    Rng.fromSeed(this.seed, `shuffle-epoch-${epoch}`).shuffle(idx);
    return Int32Array.from(idx);
  }

  state(): ShuffledWindowState {
    return { kind: 'shuffled-windows', epoch: this.epoch, position: this.position };
  }

  restore(s: ShuffledWindowState): void {
    if (s?.kind !== 'shuffled-windows') throw new Error(`data state: expected kind 'shuffled-windows', got ${JSON.stringify(s?.kind)}`);
    if (s.epoch !== this.epoch) this.order = this.permutation(s.epoch);
    this.epoch = s.epoch;
    this.position = s.position;
  }

  next(): Batch {
    const T = this.seqLen;
    const n = this.batch * T;
    const out: Batch = { batch: this.batch, seqLen: T, inputs: new Int32Array(n), targets: new Int32Array(n), parts: new Uint8Array(this.batch) };
    for (let r = 0; r < this.batch; r++) {
      if (this.position === this.windows) {
        this.epoch++;
        this.position = 0;
        this.order = this.permutation(this.epoch);
      }
      const start = this.order[this.position++] * T;
      out.inputs.set(this.tokens.subarray(start, start + T), r * T);
      out.targets.set(this.tokens.subarray(start + 1, start + T + 1), r * T);
    }
    return out;
  }
}

export interface TeacherSampledOptions {
  sampler: TeacherSampler;
  /** Weight of teacher rows relative to the text parts (default 1). */
  weight?: number;
  /** Text streams to mix in (none: teacher samples only). */
  text?: { name?: string; tokens: Int32Array; weight?: number }[];
  batch: number;
  seqLen: number;
  seed: number;
  stream?: string;
}

/**
 * Rows sampled from the teacher (for when the corpus is small), optionally mixed with text by weight: a
 * RandomWindowSource whose part 0 is the teacher. The sampler (temperature, top-p) comes from the teacher
 * model code; it must take its randomness from the rng it is given so that resume is exact.
 */
export class TeacherSampledSource extends RandomWindowSource {
  constructor(opts: TeacherSampledOptions) {
    super({
      parts: [
        { kind: 'teacher', name: 'teacher', sampler: opts.sampler, weight: opts.weight ?? 1 },
        ...(opts.text ?? []).map((t) => ({ kind: 'text' as const, ...t })),
      ],
      batch: opts.batch,
      seqLen: opts.seqLen,
      seed: opts.seed,
      ...(opts.stream ? { stream: opts.stream } : {}),
    });
  }
}
