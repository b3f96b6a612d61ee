/**
 * Packing a token stream into fixed windows. With `bos`, every window starts with BOS followed by the next
 * T − 1 stream tokens (the stream's own leading BOS is not repeated), the "stream of fixed windows, each
 * starting with BOS" protocol of shared/data/README.md; without, the stream is cut into plain chunks of T.
 */
export interface PackedWindows {
  seqLen: number;
  /** [count × seqLen], row-major; a partial last window is padded with `pad`. */
  tokens: Int32Array;
  /** Real tokens per window (seqLen except possibly the last). */
  lengths: Int32Array;
}

export interface PackOptions {
  /** Start every window with this id (and skip a leading one in the stream). */
  bos?: number;
  /** Keep a final shorter window (≥ 2 tokens, so it predicts something). Default false. */
  keepPartial?: boolean;
  pad?: number;
}

export function packWindows(stream: Int32Array, seqLen: number, opts: PackOptions = {}): PackedWindows {
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new RangeError(`packWindows: seqLen must be an integer ≥ 2, got ${seqLen}`);
  const withBos = opts.bos !== undefined;
  const body = withBos && stream.length > 0 && stream[0] === opts.bos ? stream.subarray(1) : stream;
  const step = withBos ? seqLen - 1 : seqLen;
  const full = Math.floor(body.length / step);
  const rest = body.length - full * step;
  const partial = opts.keepPartial && rest + (withBos ? 1 : 0) >= 2 ? 1 : 0;
  const count = full + partial;
  const tokens = new Int32Array(count * seqLen).fill(opts.pad ?? 0);
  const lengths = new Int32Array(count).fill(seqLen);
  for (let w = 0; w < count; w++) {
    const src = body.subarray(w * step, Math.min(body.length, (w + 1) * step));
    const at = w * seqLen;
    if (withBos) tokens[at] = opts.bos!;
    tokens.set(src, at + (withBos ? 1 : 0));
    lengths[w] = src.length + (withBos ? 1 : 0);
  }
  return { seqLen, tokens, lengths };
}
