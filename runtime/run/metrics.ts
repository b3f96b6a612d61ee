/**
 * metrics.jsonl: one JSON object per optimizer step, appended with a direct write(2) per line (no user-space
 * buffer, so a kill loses at most the line being written) and fsynced before each checkpoint records the
 * file's length. A resume truncates the file back to that length, so the log of a resumed run equals an
 * uninterrupted run's, line for line, apart from the timing fields (TIMING_FIELDS).
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';

export interface StepMetrics {
  stage: string;
  /** Optimizer steps done in the stage, this one included (1-based). */
  step: number;
  /** Tokens consumed in the stage and in the run, this step included. */
  tokens: number;
  run_tokens: number;
  loss: number;
  lr: number;
  /** Global gradient norm before clipping. */
  grad_norm: number;
  /** Throughput of this step and seconds of training so far (summed over resumes). */
  tokens_per_s: number;
  wall_s: number;
}

/** Fields that depend on the clock; everything else is a function of the configuration and seed. */
export const TIMING_FIELDS = ['tokens_per_s', 'wall_s'] as const;

export class MetricsLog {
  private fd: number;

  /** Opens for appending; `truncateTo` cuts the file back first (resume), creating it if needed. */
  constructor(readonly file: string, truncateTo?: number) {
    this.fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
    if (truncateTo !== undefined && statSync(file).size > truncateTo) ftruncateSync(this.fd, truncateTo);
  }

  /** Current length in bytes: what a checkpoint records. */
  get bytes(): number {
    return statSync(this.file).size;
  }

  append(line: object): void {
    const buf = Buffer.from(JSON.stringify(line) + '\n', 'utf8');
    const at = this.bytes;
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off, at + off);
  }

  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads metrics.jsonl back (skipping a torn last line) — for tests, reports and `mohawkc report`. */
export function readMetrics(text: string): Record<string, unknown>[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const out: Record<string, unknown>[] = [];
  for (const [i, l] of lines.entries()) {
    try {
      out.push(JSON.parse(l));
    } catch (e) {
      if (i === lines.length - 1) break;
      throw e;
    }
  }
  return out;
}
