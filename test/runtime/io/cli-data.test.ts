import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_FILES } from '../../../runtime/io/data-manifest.ts';
import { DATA_DIR, REPO_ROOT, TEACHER_BIN, TOKENIZER_BIN } from '../../helpers/paths.ts';
import { tempDir } from './helpers.ts';
import { type Loopback, serveFolder } from './loopback-server.ts';

const run = promisify(execFile);
const dir = tempDir('mohawk-cli-');

async function mohawkc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(REPO_ROOT, 'bin', 'mohawkc.mjs'), ...args], { cwd: REPO_ROOT, env: { ...process.env, MOHAWK_DATA: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

function expectOneLineError(r: { code: number; stderr: string }, ...parts: RegExp[]): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  for (const p of parts) expect(lines[0]).toMatch(p);
}

let server: Loopback;
beforeAll(async () => {
  server = await serveFolder(DATA_DIR);
});
afterAll(async () => {
  await server.close();
});

describe('mohawkc data', () => {
  it('where: lists each file as present / missing / sha256 mismatch, exit 1 when any is not present', async () => {
    const d = join(dir, 'partial');
    mkdirSync(join(d, 'stories260K'), { recursive: true });
    writeFileSync(join(d, 'stories260K', 'tok512.bin'), readFileSync(TOKENIZER_BIN));
    const model = Buffer.from(readFileSync(TEACHER_BIN));
    model[1000] ^= 1;
    writeFileSync(join(d, 'stories260K', 'stories260K.bin'), model);
    const r = await mohawkc('data', 'where', '--data', d);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^data directory: ${d} \\(from --data\\)`));
    expect(r.stdout).toMatch(/stories260K\/tok512\.bin\s+present/);
    expect(r.stdout).toMatch(/stories260K\/stories260K\.bin\s+sha256 mismatch/);
    expect(r.stdout).toMatch(/tinystories\/valid\.txt\s+missing/);
    const j = await mohawkc('data', 'where', '--data', d, '--json');
    const parsed = JSON.parse(j.stdout);
    expect(parsed.files.map((f: { status: string }) => f.status)).toEqual(['sha256 mismatch', 'present', 'missing', 'missing', 'missing']);
    const shared = await mohawkc('data', 'where', '--data', DATA_DIR);
    expect(shared.code).toBe(0);
  });

  it('where with a nonexistent --data: exit 2, one line, no stack', async () => {
    expectOneLineError(await mohawkc('data', 'where', '--data', '/nonexistent/mohawk'), /data directory \/nonexistent\/mohawk \(from --data\) does not exist/);
  });

  it('download from a loopback mirror, then where is all present; a corrupt mirror fails with exit 2', async () => {
    const d = join(dir, 'dl');
    const r = await mohawkc('data', 'download', '--dir', d, '--base-url', server.url, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).files.map((f: { status: string }) => f.status)).toEqual(DATA_FILES.map(() => 'downloaded'));
    expect((await mohawkc('data', 'where', '--data', d)).code).toBe(0);
    server.faults.set('tinystories/train.txt', 'corrupt');
    const bad = await mohawkc('data', 'download', '--dir', join(dir, 'dl-bad'), '--base-url', server.url);
    server.faults.delete('tinystories/train.txt');
    expectOneLineError(bad, /tinystories\/train\.txt: sha256 mismatch/);
    expectOneLineError(await mohawkc('data', 'download', '--base-url', 'ftp://x'), /--base-url must be an http\(s\) URL/);
  });

  it('inspect: headers of each format; truncated / garbled checkpoints and tokenizers exit 2 naming file and problem', async () => {
    const ok = await mohawkc('data', 'inspect', TEACHER_BIN, '--json');
    expect(JSON.parse(ok.stdout).config.dModel).toBe(64);
    const tk = await mohawkc('data', 'inspect', TOKENIZER_BIN, '--json');
    expect(JSON.parse(tk.stdout).vocabSize).toBe(512);
    const truncCk = join(dir, 'trunc-model.bin');
    writeFileSync(truncCk, readFileSync(TEACHER_BIN).subarray(0, 4096));
    expectOneLineError(await mohawkc('data', 'inspect', truncCk), new RegExp(`${truncCk}: size 4096 bytes does not match its header`));
    const truncTok = join(dir, 'tok-trunc.bin');
    writeFileSync(truncTok, readFileSync(TOKENIZER_BIN).subarray(0, 3001));
    expectOneLineError(await mohawkc('data', 'inspect', truncTok), new RegExp(`${truncTok}: not a llama2\\.c tokenizer: truncated`));
    const garbledTok = join(dir, 'garbled.bin');
    const g = Buffer.from(readFileSync(TOKENIZER_BIN));
    g.writeInt32LE(1 << 30, 0);
    writeFileSync(garbledTok, g);
    expectOneLineError(await mohawkc('data', 'inspect', '--tokenizer', garbledTok), /max_token_length 1073741824 is out of range/);
    const st = join(dir, 'hf-bad');
    mkdirSync(st);
    writeFileSync(join(st, 'config.json'), readFileSync(join(REPO_ROOT, '..', 'shared', 'golden', 'hf', 'hf_llama_stories260K', 'config.json')));
    writeFileSync(join(st, 'model.safetensors'), Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    expectOneLineError(await mohawkc('data', 'inspect', st, '--full'), /model\.safetensors: header length 200 runs past the end of the 9-byte file/);
    expectOneLineError(await mohawkc('data', 'inspect', join(dir, 'absent.gguf')), /absent\.gguf: cannot open: ENOENT/);
  });

  it('usage errors: unknown command, unknown flag', async () => {
    const r = await mohawkc('data', 'frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown command 'frobnicate'/);
    const f = await mohawkc('data', 'where', '--bogus');
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/^error: Unknown option '--bogus'/);
  });
});
