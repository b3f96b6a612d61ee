/**
 * A literal, slow port of llama2.c run.c's encode (O(n²) rescans over byte strings, C strcmp lookups) for
 * tests only: the fast tokenizer must produce exactly the same ids on any input.
 */
export interface RefVocab {
  pieces: Uint8Array[];
  scores: Float32Array;
}

function key(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return Buffer.from(nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
}

export function runcEncode(v: RefVocab, text: Uint8Array, bos: boolean, eos: boolean): number[] {
  // str_lookup (run.c: bsearch over the sorted vocabulary); the lowest id for duplicate pieces.
  const table = new Map<string, number>();
  v.pieces.forEach((p, i) => {
    if (!table.has(key(p))) table.set(key(p), i);
  });
  const lookup = (s: string): number => table.get(s) ?? -1;
  const end = text.indexOf(0) < 0 ? text.length : text.indexOf(0);
  const tokens: number[] = [];
  if (bos) tokens.push(1);
  if (end > 0) tokens.push(lookup(' '));
  let buf: number[] = [];
  for (let c = 0; c < end; c++) {
    if ((text[c] & 0xc0) !== 0x80) buf = [];
    buf.push(text[c]);
    const nextByte = c + 1 < end ? text[c + 1] : 0;
    if ((nextByte & 0xc0) === 0x80 && buf.length < 4) continue;
    const id = lookup(Buffer.from(buf).toString('latin1'));
    if (id !== -1) tokens.push(id);
    else for (const b of buf) tokens.push(b + 3);
    buf = [];
  }
  for (;;) {
    let bestScore = -1e10;
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup(key(v.pieces[tokens[i]]) + key(v.pieces[tokens[i + 1]]));
      if (id !== -1 && v.scores[id] > bestScore) {
        bestScore = v.scores[id];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  if (eos) tokens.push(2);
  return tokens;
}

/** Serialises a vocabulary in the llama2.c tokenizer .bin format. */
export function encodeTokenizerBin(pieces: Uint8Array[], scores: ArrayLike<number>, maxTokenLength?: number): Buffer {
  const mtl = maxTokenLength ?? Math.max(1, ...pieces.map((p) => p.length));
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4);
  head.writeInt32LE(mtl);
  parts.push(head);
  pieces.forEach((p, i) => {
    const h = Buffer.alloc(8);
    h.writeFloatLE(scores[i], 0);
    h.writeInt32LE(p.length, 4);
    parts.push(h, Buffer.from(p));
  });
  return Buffer.concat(parts);
}
