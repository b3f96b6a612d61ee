/**
 * The speed anchor: llama2.c's run.c, built from its public source at benchmark time (never committed), on the
 * same stories260K checkpoint, greedy, one thread.
 *
 *   npx tsx bench/decode/runc.ts [--max 4096] [--llama2c GIT_DIR]
 *
 * Source: `git --git-dir=GIT_DIR show HEAD:run.c` (default /work/.mirror/karpathy+llama2.c/repo, the fetch
 * tool's copy of github.com/karpathy/llama2.c; a plain clone's .git works too), unmodified, compiled with the
 * flags of its Makefile's `run` target (gcc -O3 … -lm) twice:
 *  - `run` itself, for its own "achieved tok/s" at -n 512 (the checkpoint's seq_len) — the cross-check;
 *  - bench/decode/runc-harness.c, which #includes run.c and times its forward() per position exactly as
 *    sweep.ts times the TypeScript models (median ms over positions (L/2, L]), with the KV cache sized for
 *    --max positions instead of the header's 512 — the only way run.c's own code reaches 4096 positions.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveDataPath } from '../../runtime/io/data-dir.ts';

export const DEFAULT_LLAMA2C = '/work/.mirror/karpathy+llama2.c/repo';

export interface RuncPoint {
  model: 'run.c';
  context: number;
  msPerToken: number;
  meanMs: number;
  tokensPerS: number;
  rssMiB: number;
  stateBytes: number;
}

export interface RuncBuild {
  run: string;
  harness: string;
  checkpoint: string;
  tokenizer: string;
  commit: string;
  gcc: string;
}

export function buildRunc(gitDir: string): RuncBuild {
  if (!existsSync(gitDir))
    throw new Error(`no llama2.c git directory at ${gitDir}: clone https://github.com/karpathy/llama2.c (or fetch it) and pass --llama2c <its .git>`);
  const git = (...a: string[]) => {
    const r = spawnSync('git', ['--git-dir', gitDir, ...a], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const dir = mkdtempSync(join(tmpdir(), 'mohawk-runc-'));
  writeFileSync(join(dir, 'run.c'), git('show', 'HEAD:run.c'));
  copyFileSync(resolve(import.meta.dirname, 'runc-harness.c'), join(dir, 'runc-harness.c'));
  const gcc = (out: string, src: string) => {
    const r = spawnSync('gcc', ['-O3', '-o', join(dir, out), join(dir, src), '-lm'], { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`gcc ${src} failed: ${r.stderr}`);
    return join(dir, out);
  };
  return {
    run: gcc('run', 'run.c'),
    harness: gcc('runc-harness', 'runc-harness.c'),
    checkpoint: resolveDataPath('stories260K/stories260K.bin'),
    tokenizer: resolveDataPath('stories260K/tok512.bin'),
    commit: git('rev-parse', 'HEAD').trim(),
    gcc: spawnSync('gcc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0],
  };
}

/** run.c's own report over -n positions (its timer starts after the first token; ms resolution). */
export function runcAchieved(b: RuncBuild, n: number): number {
  const r = spawnSync(b.run, [b.checkpoint, '-z', b.tokenizer, '-t', '0', '-n', String(n), '-i', 'Once upon a time'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`run -n ${n} failed: ${r.stderr}`);
  const m = /achieved tok\/s: ([\d.]+)/.exec(r.stderr);
  return m ? Number(m[1]) : NaN;
}

export function runcSweep(b: RuncBuild, max: number): RuncPoint[] {
  const r = spawnSync(b.harness, [b.checkpoint, String(max)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`runc-harness failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RuncPoint);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2);
  const flag = (k: string) => {
    const i = args.indexOf(k);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const b = buildRunc(flag('--llama2c') ?? DEFAULT_LLAMA2C);
  process.stderr.write(`run.c ${b.commit} (${b.gcc}); run -n 512 achieved ${runcAchieved(b, 512).toFixed(1)} tok/s\n`);
  for (const p of runcSweep(b, Number(flag('--max') ?? 4096))) process.stdout.write(JSON.stringify(p) + '\n');
}
