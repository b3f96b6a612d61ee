import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricsLog, readMetrics } from '../../../runtime/run/metrics.ts';
import { guardFinite } from '../../../runtime/run/nan-guard.ts';
import { TrainingDivergedError } from '../../../runtime/run/errors.ts';
import { createProgress, silentProgress } from '../../../runtime/run/progress.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  }) as unknown as NodeJS.WriteStream & Record<string, unknown>;
  w.isTTY = isTTY;
  w.columns = 140;
  return { stream: w, text: () => out };
}

function drive(p: ReturnType<typeof createProgress>) {
  p.stageStart('main', 2560, 640);
  p.step({ tokens: 1280, loss: 0.123456, tokensPerS: 5000.4 });
  p.checkpoint('checkpoints/main-20');
  p.stageEnd({ stage: 'main', tokens: 2560, loss: 0.1, seconds: 1.5 });
  p.stop();
}

describe('progress', () => {
  it('draws a bar with tokens, loss, tokens/s and ETA on a TTY', () => {
    const { stream, text } = fakeStream(true);
    drive(createProgress({ stream }));
    const out = text();
    expect(out).toMatch(/main \[[█░]+\] 25% \| 640\/2\.6K tok \| loss - \| - tok\/s \| ETA/);
    expect(out).toMatch(/50% \| 1\.3K\/2\.6K tok \| loss 0\.1235 \| 5000 tok\/s \| ETA \d+s/);
  });

  it('prints plain lines (no escape codes) when not a TTY', () => {
    const { stream, text } = fakeStream(false);
    drive(createProgress({ stream }));
    expect(text()).toBe(
      'stage main: 2.6K tokens, resuming at 640\n' +
        '  main 1.3K/2.6K tok  loss 0.1235  5000 tok/s  saved checkpoints/main-20\n' +
        'stage main done: 2.6K tokens, loss 0.1000, 1.5 s\n',
    );
  });

  it('prints nothing with --json, even on a TTY', () => {
    const { stream, text } = fakeStream(true);
    const p = createProgress({ stream, json: true });
    expect(p).toBe(silentProgress);
    drive(p);
    expect(text()).toBe('');
  });
});

describe('metrics log', () => {
  it('appends lines, reports its length, and truncates back to a checkpoint on reopen', () => {
    const root = mkdtempSync(join(tmpdir(), 'mohawk-metrics-'));
    roots.push(root);
    const file = join(root, 'metrics.jsonl');
    const log = new MetricsLog(file, 0);
    log.append({ step: 1, loss: 0.5 });
    const mark = log.bytes;
    log.append({ step: 2, loss: 0.25 });
    log.sync();
    log.close();
    expect(readMetrics(readFileSync(file, 'utf8'))).toEqual([{ step: 1, loss: 0.5 }, { step: 2, loss: 0.25 }]);

    writeFileSync(file, readFileSync(file, 'utf8') + '{"step": 3, "lo'); // a torn line, as a kill leaves it
    expect(readMetrics(readFileSync(file, 'utf8')).length).toBe(2);
    const reopened = new MetricsLog(file, mark);
    reopened.append({ step: 2, loss: 0.2 });
    reopened.close();
    expect(readFileSync(file, 'utf8')).toBe('{"step":1,"loss":0.5}\n{"step":2,"loss":0.2}\n');
    expect(() => readMetrics('{"a":1}\n{bad\n{"b":2}\n')).toThrow();
  });
});

describe('NaN guard', () => {
  const ctx = { stage: 's', step: 4, tokens: 192, lastCheckpoint: null };
  it('passes finite values and reports the first non-finite gradient in model order', () => {
    expect(() => guardFinite(1.5, new Map([['a', 0], ['b', 3]]), ctx)).not.toThrow();
    const norms = new Map([['model.embed.weight', 1], ['model.layers.3.mixer.D', Infinity], ['model.layers.4.mixer.D', NaN]]);
    let err: TrainingDivergedError | undefined;
    try {
      guardFinite(0.5, norms, ctx);
    } catch (e) {
      err = e as TrainingDivergedError;
    }
    expect(err?.report).toEqual({ stage: 's', step: 4, tokens: 192, lastCheckpoint: null, what: 'gradient', parameter: 'model.layers.3.mixer.D', layer: 3, value: 'Infinity' });
    expect(err?.message).toBe("training diverged in stage 's' at step 4: the gradient of 'model.layers.3.mixer.D' (layer 3) is Infinity; no checkpoint was written before it");
    expect(() => guardFinite(-Infinity, new Map(), ctx)).toThrow(/the loss is -Infinity/);
    expect(() => guardFinite(1, new Map([['lm_head.weight', NaN]]), ctx)).toThrow(/the gradient of 'lm_head.weight' is NaN/);
  });
});
