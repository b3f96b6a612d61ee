/**
 * Float64 references for the SSD core (plain TypeScript, no tfjs), written as directly from the equations
 * of method.md §5.1 as possible so they are independent of the tfjs forms:
 *   S_t = α_t·S_{t−1} + x_t ⊗ B_t   (per head, P×N)      y_t = S_t·C_t          α_t = exp(logA_t)
 * Head h reads B/C group ⌊h·G/H⌋. A reset at t (packed sequences) means no state flows from t−1 into t.
 * Tensors are row-major flat arrays: x [b,t,h,p], logA [b,t,h], B/C [b,t,g,n], state [b,h,p,n].
 * The D skip and the gate are not part of the core (as in the official reference's Y).
 */
export interface SsdDims {
  b: number;
  t: number;
  h: number;
  p: number;
  g: number;
  n: number;
}

export interface SsdF64Inputs extends SsdDims {
  x: Float64Array;
  logA: Float64Array;
  B: Float64Array;
  C: Float64Array;
  initialState?: Float64Array;
  /** [b,t]: 1 where a token starts a new sequence. */
  resets?: Uint8Array;
}

/** Naive recurrence, token by token. */
export function ssdRecurrenceF64(inp: SsdF64Inputs): { y: Float64Array; finalState: Float64Array } {
  const { b, t, h, p, g, n } = inp;
  checkDims(inp);
  const y = new Float64Array(b * t * h * p);
  const state = inp.initialState ? Float64Array.from(inp.initialState) : new Float64Array(b * h * p * n);
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      const reset = inp.resets?.[bi * t + ti] === 1;
      for (let hi = 0; hi < h; hi++) {
        const gi = Math.floor((hi * g) / h);
        const alpha = reset ? 0 : Math.exp(inp.logA[(bi * t + ti) * h + hi]);
        const bOff = ((bi * t + ti) * g + gi) * n;
        for (let pi = 0; pi < p; pi++) {
          const xv = inp.x[((bi * t + ti) * h + hi) * p + pi];
          const sOff = ((bi * h + hi) * p + pi) * n;
          let acc = 0;
          for (let ni = 0; ni < n; ni++) {
            const s = alpha * state[sOff + ni] + xv * inp.B[bOff + ni];
            state[sOff + ni] = s;
            acc += s * inp.C[bOff + ni];
          }
          y[((bi * t + ti) * h + hi) * p + pi] = acc;
        }
      }
    }
  }
  return { y, finalState: state };
}

/**
 * The mixing matrix M [b,h,t,t]: M[t,s] = (C_t·B_s)·Π_{k=s+1..t} α_k for s ≤ t, else 0 — as a running
 * product of α (not a sum of logs), without D. A reset in (s, t] zeroes the entry.
 */
export function ssdMatrixF64(inp: Omit<SsdF64Inputs, 'x' | 'initialState'>): Float64Array {
  const { b, t, h, g, n } = inp;
  const m = new Float64Array(b * h * t * t);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      const gi = Math.floor((hi * g) / h);
      for (let s = 0; s < t; s++) {
        let decay = 1;
        for (let tq = s; tq < t; tq++) {
          if (tq > s) {
            if (inp.resets?.[bi * t + tq] === 1) break;
            decay *= Math.exp(inp.logA[(bi * t + tq) * h + hi]);
          }
          let cb = 0;
          for (let ni = 0; ni < n; ni++)
            cb += inp.C[((bi * t + tq) * g + gi) * n + ni] * inp.B[((bi * t + s) * g + gi) * n + ni];
          m[((bi * h + hi) * t + tq) * t + s] = cb * decay;
        }
      }
    }
  }
  return m;
}

/** y = M·x per head with a matrix from ssdMatrixF64 (plus D·x when D [h] is given). */
export function applyMatrixF64(m: Float64Array, x: Float64Array, dims: Pick<SsdDims, 'b' | 't' | 'h' | 'p'>, D?: Float64Array): Float64Array {
  const { b, t, h, p } = dims;
  const y = new Float64Array(b * t * h * p);
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let tq = 0; tq < t; tq++)
        for (let pi = 0; pi < p; pi++) {
          let acc = D ? D[hi] * x[((bi * t + tq) * h + hi) * p + pi] : 0;
          for (let s = 0; s <= tq; s++) acc += m[((bi * h + hi) * t + tq) * t + s] * x[((bi * t + s) * h + hi) * p + pi];
          y[((bi * t + tq) * h + hi) * p + pi] = acc;
        }
  return y;
}

function checkDims(inp: SsdF64Inputs): void {
  const { b, t, h, p, g, n } = inp;
  const want: [string, number, number][] = [
    ['x', inp.x.length, b * t * h * p],
    ['logA', inp.logA.length, b * t * h],
    ['B', inp.B.length, b * t * g * n],
    ['C', inp.C.length, b * t * g * n],
  ];
  if (inp.initialState) want.push(['initialState', inp.initialState.length, b * h * p * n]);
  for (const [name, got, need] of want) if (got !== need) throw new Error(`ssd reference: ${name} has ${got} values, expected ${need}`);
  if (h % g !== 0) throw new Error(`ssd reference: groups ${g} do not divide heads ${h}`);
}

/** Discrete decay: log α = −softplus(a), computed without overflow for large |a|. */
export function negSoftplusF64(a: number): number {
  return -(Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a))));
}
