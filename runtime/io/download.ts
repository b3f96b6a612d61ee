/**
 * Fetches the manifest's data files (data-manifest.ts) into a data directory. Each file streams into a temp
 * file beside its target while its sha256 is computed; only a complete file with the expected size and hash
 * is renamed into place (atomic), so an interrupted or corrupted transfer never leaves a partial file behind.
 * Files already present with the right hash are not fetched again.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDir, tempPathFor } from './atomic-write.ts';
import { DATA_FILES, type DataFile } from './data-manifest.ts';

/** A download that failed: names the file, the URL and what went wrong. */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

export type FileStatus = 'present' | 'missing' | 'size mismatch' | 'sha256 mismatch';

export interface FileCheck {
  name: string;
  path: string;
  status: FileStatus;
  expectedBytes: number;
  expectedSha256: string;
  bytes?: number;
  sha256?: string;
}

export function sha256OfFile(path: string): { bytes: number; sha256: string } {
  const fd = openSync(path, 'r');
  try {
    const h = createHash('sha256');
    const buf = Buffer.alloc(1 << 20);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
    return { bytes: pos, sha256: h.digest('hex') };
  } finally {
    closeSync(fd);
  }
}

export function checkDataFiles(dir: string, files: readonly DataFile[] = DATA_FILES): FileCheck[] {
  return files.map((f) => {
    const path = join(dir, f.name);
    const base = { name: f.name, path, expectedBytes: f.bytes, expectedSha256: f.sha256 };
    if (!existsSync(path)) return { ...base, status: 'missing' as const };
    const fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    closeSync(fd);
    if (size !== f.bytes) return { ...base, status: 'size mismatch' as const, bytes: size };
    const { sha256 } = sha256OfFile(path);
    return { ...base, status: sha256 === f.sha256 ? ('present' as const) : ('sha256 mismatch' as const), bytes: size, sha256 };
  });
}

export interface DownloadProgress {
  name: string;
  received: number;
  total: number;
}

export interface DownloadOptions {
  dir: string;
  /** Mirror serving the manifest's relative paths (`<baseUrl>/<name>`) instead of the public origins. */
  baseUrl?: string;
  files?: readonly DataFile[];
  /** Fetch even files that are already present and correct. */
  force?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** Abort a transfer that receives nothing for this long (default 60 s). */
  idleTimeoutMs?: number;
}

export interface DownloadResult {
  name: string;
  path: string;
  url: string;
  status: 'downloaded' | 'already present';
  bytes: number;
  sha256: string;
}

export function urlFor(f: DataFile, baseUrl?: string): string {
  if (!baseUrl) return f.url;
  return `${baseUrl.replace(/\/+$/, '')}/${f.name.split('/').map(encodeURIComponent).join('/')}`;
}

export async function downloadDataFiles(opts: DownloadOptions): Promise<DownloadResult[]> {
  const files = opts.files ?? DATA_FILES;
  const results: DownloadResult[] = [];
  const checks = checkDataFiles(opts.dir, files);
  for (const [i, f] of files.entries()) {
    const path = join(opts.dir, f.name);
    const url = urlFor(f, opts.baseUrl);
    if (!opts.force && checks[i].status === 'present') {
      results.push({ name: f.name, path, url, status: 'already present', bytes: f.bytes, sha256: f.sha256 });
      continue;
    }
    await fetchOne(f, url, path, opts);
    results.push({ name: f.name, path, url, status: 'downloaded', bytes: f.bytes, sha256: f.sha256 });
  }
  return results;
}

async function fetchOne(f: DataFile, url: string, path: string, opts: DownloadOptions): Promise<void> {
  const fail = (problem: string) => new DownloadError(`${f.name}: ${problem} (from ${url})`);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new DownloadError(`${f.name}: cannot create ${dirname(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const controller = new AbortController();
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  let timer = setTimeout(() => controller.abort(), idleMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idleMs);
  };
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (e) {
      throw fail(`cannot connect: ${causeOf(e)}`);
    }
    if (!res.ok) throw fail(`server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    if (!res.body) throw fail('empty response');
    fd = openSync(tmp, 'w', 0o644);
    const hash = createHash('sha256');
    let received = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        received += chunk.length;
        if (received > f.bytes) throw fail(`more than the expected ${f.bytes} bytes`);
        hash.update(chunk);
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        opts.onProgress?.({ name: f.name, received, total: f.bytes });
      }
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      throw fail(`transfer interrupted after ${received} of ${f.bytes} bytes: ${controller.signal.aborted ? `no data for ${idleMs / 1000} s` : causeOf(e)}`);
    }
    if (received !== f.bytes) throw fail(`transfer ended after ${received} of ${f.bytes} bytes`);
    const sha = hash.digest('hex');
    if (sha !== f.sha256) throw fail(`sha256 mismatch: got ${sha}, expected ${f.sha256}; the file was not saved`);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } finally {
    clearTimeout(timer);
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
  }
}

function causeOf(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}
