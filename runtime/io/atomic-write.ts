/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over the target,
 * then fsync the directory so the rename itself survives a power cut. A reader (or a resumed run after
 * kill -9) sees either the old file or the complete new one, never a torn one.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function tempPathFor(file: string): string {
  const rand = Math.floor(Math.random() * 0xffffffff).toString(16);
  return join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${rand}`);
}

/** Writes `chunks` to `file` atomically. */
export function writeFileAtomic(file: string, chunks: Uint8Array[]): void {
  const tmp = tempPathFor(file);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(file));
}

/** fsync a directory so a rename in it is durable; a no-op where directories cannot be opened. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* some file systems refuse fsync on directories; the rename is still atomic */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
