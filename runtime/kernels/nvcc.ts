/**
 * Compiles generated .cu files with nvcc (for the architecture in their name) and reads ptxas's resource report (registers, shared memory,
 * stack, spills) per kernel. Results are cached by content hash under .cache/kernels-nvcc/, so an unchanged
 * kernel is not recompiled; files compile in parallel.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const NVCC_FLAGS = ['-O3', '-Xptxas', '-v', '-c'];

/** The architecture a generated file is for: `<key>_sm<NN>.cu` → sm_NN (sm_90 otherwise). */
export function archOf(file: string): string {
  const m = /_sm(\d+)\.cu$/.exec(file);
  return `sm_${m ? m[1] : '90'}`;
}

export interface KernelResources {
  kernel: string;
  registers: number;
  smemBytes: number;
  stackBytes: number;
  spillStores: number;
  spillLoads: number;
}

export interface CompileResult {
  file: string;
  ok: boolean;
  /** nvcc's stderr (warnings, errors, the ptxas report). */
  log: string;
  warnings: string[];
  resources: KernelResources[];
  cached: boolean;
}

export function nvccVersion(): string | undefined {
  try {
    return execFileSync('nvcc', ['--version'], { encoding: 'utf8' }).trim().split('\n').pop();
  } catch {
    return undefined;
  }
}

/** Parses the -Xptxas -v report: one entry per kernel, named by its pass namespace. */
export function parsePtxas(log: string): KernelResources[] {
  const out: KernelResources[] = [];
  let current: KernelResources | undefined;
  for (const line of log.split('\n')) {
    const entry = /Compiling entry function '([^']+)'/.exec(line);
    if (entry) {
      const ns = /\d+(pass_[a-z0-9_]+?)6kernel/.exec(entry[1]);
      current = { kernel: ns ? ns[1] : entry[1], registers: 0, smemBytes: 0, stackBytes: 0, spillStores: 0, spillLoads: 0 };
      out.push(current);
      continue;
    }
    if (!current) continue;
    const frame = /(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads/.exec(line);
    if (frame) {
      current.stackBytes = Number(frame[1]);
      current.spillStores = Number(frame[2]);
      current.spillLoads = Number(frame[3]);
    }
    const used = /Used (\d+) registers/.exec(line);
    if (used) current.registers = Number(used[1]);
    const smem = /(\d+) bytes smem/.exec(line);
    if (smem) current.smemBytes = Number(smem[1]);
  }
  return out.sort((a, b) => (a.kernel < b.kernel ? -1 : a.kernel > b.kernel ? 1 : 0));
}

export async function compileCuda(files: string[], cacheDir: string, parallel = Math.max(1, cpus().length)): Promise<CompileResult[]> {
  mkdirSync(cacheDir, { recursive: true });
  const version = nvccVersion() ?? 'none';
  const results: CompileResult[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      const file = files[i];
      const src = readFileSync(file);
      const flags = [...NVCC_FLAGS, `-arch=${archOf(file)}`];
      const hash = createHash('sha256').update(version).update(flags.join(' ')).update(src).digest('hex').slice(0, 32);
      const cached = join(cacheDir, `${hash}.json`);
      if (existsSync(cached)) {
        results[i] = { ...(JSON.parse(readFileSync(cached, 'utf8')) as CompileResult), file, cached: true };
        continue;
      }
      const obj = join(tmpdir(), `mohawk-${hash}-${basename(file)}.o`);
      let log = '';
      let ok = true;
      try {
        const r = await run('nvcc', [...flags, resolve(file), '-o', obj], { maxBuffer: 16 << 20 });
        log = r.stderr + r.stdout;
      } catch (e) {
        const err = e as { stderr?: string; stdout?: string; message: string };
        log = (err.stderr ?? '') + (err.stdout ?? '') || err.message;
        ok = false;
      } finally {
        rmSync(obj, { force: true });
      }
      const warnings = log.split('\n').filter((l) => /warning|error/i.test(l) && !/^ptxas info/.test(l));
      const res: CompileResult = { file, ok, log, warnings, resources: parsePtxas(log), cached: false };
      if (ok) writeFileSync(cached, JSON.stringify(res));
      results[i] = res;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker));
  return results;
}
