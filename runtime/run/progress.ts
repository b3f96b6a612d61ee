/**
 * Progress display for training. On a TTY (and without --json): a cli-progress bar per stage with tokens,
 * loss, tokens/s and ETA. Not a TTY: one plain line per checkpoint and per stage end, so logs stay readable.
 * With --json: nothing (metrics.jsonl and the command's JSON result carry the numbers).
 */
import cliProgress from 'cli-progress';

export interface ProgressSink {
  stageStart(stage: string, totalTokens: number, doneTokens: number): void;
  step(s: { tokens: number; loss: number; tokensPerS: number }): void;
  checkpoint(name: string): void;
  stageEnd(s: { stage: string; tokens: number; loss: number; seconds: number }): void;
  stop(): void;
}

export const silentProgress: ProgressSink = {
  stageStart() {},
  step() {},
  checkpoint() {},
  stageEnd() {},
  stop() {},
};

const fmtTokens = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : String(n));

class BarProgress implements ProgressSink {
  private bar: cliProgress.SingleBar | null = null;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  stageStart(stage: string, totalTokens: number, doneTokens: number): void {
    this.bar?.stop();
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: `${stage} [{bar}] {percentage}% | {done}/{all} tok | loss {loss} | {tps} tok/s | ETA {eta_formatted}`,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(totalTokens, doneTokens, { done: fmtTokens(doneTokens), all: fmtTokens(totalTokens), loss: '-', tps: '-' });
  }

  step(s: { tokens: number; loss: number; tokensPerS: number }): void {
    this.bar?.update(s.tokens, { done: fmtTokens(s.tokens), loss: s.loss.toPrecision(4), tps: Math.round(s.tokensPerS) });
  }

  checkpoint(): void {}

  stageEnd(): void {
    this.bar?.stop();
    this.bar = null;
  }

  stop(): void {
    this.stageEnd();
  }
}

class LineProgress implements ProgressSink {
  private stage = '';
  private total = 0;
  private last = { tokens: 0, loss: NaN, tokensPerS: 0 };
  constructor(private readonly stream: NodeJS.WritableStream) {}

  stageStart(stage: string, totalTokens: number, doneTokens: number): void {
    this.stage = stage;
    this.total = totalTokens;
    this.stream.write(`stage ${stage}: ${fmtTokens(totalTokens)} tokens${doneTokens ? `, resuming at ${fmtTokens(doneTokens)}` : ''}\n`);
  }

  step(s: { tokens: number; loss: number; tokensPerS: number }): void {
    this.last = s;
  }

  checkpoint(name: string): void {
    const { tokens, loss, tokensPerS } = this.last;
    this.stream.write(`  ${this.stage} ${fmtTokens(tokens)}/${fmtTokens(this.total)} tok  loss ${loss.toPrecision(4)}  ${Math.round(tokensPerS)} tok/s  saved ${name}\n`);
  }

  stageEnd(s: { stage: string; tokens: number; loss: number; seconds: number }): void {
    this.stream.write(`stage ${s.stage} done: ${fmtTokens(s.tokens)} tokens, loss ${s.loss.toPrecision(4)}, ${s.seconds.toFixed(1)} s\n`);
  }

  stop(): void {}
}

/** The sink for a command: a bar on a TTY, plain lines otherwise, nothing with `json`. */
export function createProgress(opts: { json?: boolean; stream?: NodeJS.WriteStream } = {}): ProgressSink {
  if (opts.json) return silentProgress;
  const stream = opts.stream ?? process.stderr;
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}
