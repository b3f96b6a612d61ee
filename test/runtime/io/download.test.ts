import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_FILES } from '../../../runtime/io/data-manifest.ts';
import { checkDataFiles, downloadDataFiles, sha256OfFile } from '../../../runtime/io/download.ts';
import { DATA_DIR } from '../../helpers/paths.ts';
import { tempDir } from './helpers.ts';
import { type Loopback, serveFolder } from './loopback-server.ts';

const dir = tempDir('mohawk-dl-');
let server: Loopback;
beforeAll(async () => {
  server = await serveFolder(DATA_DIR);
});
afterAll(async () => {
  await server.close();
});

function listAll(d: string): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('manifest', () => {
  it("matches the shared files' sizes and sha256 (README table)", () => {
    for (const c of checkDataFiles(DATA_DIR)) expect(c.status, c.name).toBe('present');
    expect(DATA_FILES.map((f) => f.name)).toContain('stories260K/tok512.bin');
    for (const f of DATA_FILES) expect(f.url).toMatch(/^https:\/\/(huggingface\.co\/karpathy\/tinyllamas\/resolve\/main|raw\.githubusercontent\.com\/[\w-]+\/[\w.-]+\/[0-9a-f]{40})\//);
  });
});

describe('downloadDataFiles against a loopback mirror', () => {
  it('fetches every file, verifies sha256, and skips files already present', async () => {
    const target = join(dir, 'ok');
    const progress: number[] = [];
    const r = await downloadDataFiles({ dir: target, baseUrl: server.url, onProgress: (p) => progress.push(p.received / p.total) });
    expect(r.map((x) => x.status)).toEqual(DATA_FILES.map(() => 'downloaded'));
    for (const f of DATA_FILES) {
      expect(sha256OfFile(join(target, f.name)).sha256).toBe(f.sha256);
      expect(readFileSync(join(target, f.name)).equals(readFileSync(join(DATA_DIR, f.name)))).toBe(true);
    }
    expect(progress.at(-1)).toBe(1);
    const before = server.requests.length;
    const again = await downloadDataFiles({ dir: target, baseUrl: server.url });
    expect(again.every((x) => x.status === 'already present')).toBe(true);
    expect(server.requests.length).toBe(before);
    expect(listAll(target).filter((p) => p.includes('.tmp-'))).toEqual([]);
  });

  it('replaces a present file whose sha256 is wrong; follows redirects', async () => {
    const target = join(dir, 'fix');
    const f = DATA_FILES.find((x) => x.name === 'stories260K/tok512.bin')!;
    mkdirSync(join(target, 'stories260K'), { recursive: true });
    const bad = Buffer.from(readFileSync(join(DATA_DIR, f.name)));
    bad[100] ^= 1;
    writeFileSync(join(target, f.name), bad);
    expect(checkDataFiles(target, [f])[0].status).toBe('sha256 mismatch');
    server.faults.set(f.name, 'redirect');
    const r = await downloadDataFiles({ dir: target, baseUrl: server.url, files: [f] });
    expect(r[0].status).toBe('downloaded');
    expect(checkDataFiles(target, [f])[0].status).toBe('present');
  });

  it('a corrupted byte is a sha256 mismatch and leaves nothing behind', async () => {
    const target = join(dir, 'corrupt');
    const f = DATA_FILES.find((x) => x.name === 'tinystories/valid.txt')!;
    server.faults.set(f.name, 'corrupt');
    await expect(downloadDataFiles({ dir: target, baseUrl: server.url, files: [f] })).rejects.toThrow(
      new RegExp(`^tinystories/valid\\.txt: sha256 mismatch: got [0-9a-f]{64}, expected ${f.sha256}; the file was not saved \\(from ${server.url}/tinystories/valid\\.txt\\)$`),
    );
    server.faults.delete(f.name);
    expect(listAll(target)).toEqual([]);
  });

  it('a 404 is a clear error naming the file and URL', async () => {
    const target = join(dir, 'missing');
    const f = DATA_FILES.find((x) => x.name === 'stories260K/stories260K.bin')!;
    server.faults.set(f.name, 'not-found');
    const err = await downloadDataFiles({ dir: target, baseUrl: server.url, files: [f] }).catch((e) => e);
    server.faults.delete(f.name);
    expect(err.name).toBe('DownloadError');
    expect(err.message).toBe(`stories260K/stories260K.bin: server answered HTTP 404 Not Found (from ${server.url}/stories260K/stories260K.bin)`);
    expect(listAll(target)).toEqual([]);
  });

  it('an interrupted transfer is an error and leaves no partial file', async () => {
    const target = join(dir, 'interrupt');
    const f = DATA_FILES.find((x) => x.name === 'tinyshakespeare/input.txt')!;
    server.faults.set(f.name, 'interrupt');
    const err = await downloadDataFiles({ dir: target, baseUrl: server.url, files: [f] }).catch((e) => e);
    server.faults.delete(f.name);
    expect(err.name).toBe('DownloadError');
    expect(err.message).toMatch(/^tinyshakespeare\/input\.txt: (transfer interrupted after \d+ of 1115394 bytes|transfer ended after \d+ of 1115394 bytes)/);
    expect(listAll(target)).toEqual([]);
  });

  it('an unreachable server is a clear error', async () => {
    const f = DATA_FILES[1];
    // A port that was just free: open a server, note its port, close it.
    const probe = await serveFolder(dir);
    await probe.close();
    const err = await downloadDataFiles({ dir: join(dir, 'down'), baseUrl: probe.url, files: [f] }).catch((e) => e);
    expect(err.message).toMatch(/^stories260K\/tok512\.bin: cannot connect: ECONNREFUSED/);
  });
});
