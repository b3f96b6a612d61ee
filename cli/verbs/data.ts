/**
 * `mohawkc data where | download | inspect`: find the data directory and check its files, fetch the standard
 * files from their public origins (sha256-checked, atomic), and read a checkpoint or tokenizer's header.
 */
import { parseArgs } from 'node:util';
import { readTeacherHeader, detectCheckpointFormat, loadCheckpoint } from '../../runtime/io/checkpoint.ts';
import { type DataDirChoice, resolveDataDir, userCacheDataDir } from '../../runtime/io/data-dir.ts';
import { checkDataFiles, downloadDataFiles, type DownloadProgress } from '../../runtime/io/download.ts';
import { loadTokenizer } from '../../runtime/io/tokenizers/index.ts';
import { EXIT_OK, EXIT_SPEC, UsageError } from '../errors.ts';
import type { Verb } from '../verb.ts';

const USAGE = `usage: mohawkc data <command> [options]

commands:
  where     [--data DIR] [--json]        show the data directory and the status of each standard file
  download  [--dir DIR] [--base-url URL] [--force] [--json]
                                         fetch the standard files (stories260K, tok512, TinyStories, Tiny
                                         Shakespeare) from their public origins, checking sha256; default
                                         directory: the resolved data directory, else the user cache
  inspect   PATH [--full] [--tokenizer] [--json]
                                         read a checkpoint (llama2.c .bin, GGUF, HF folder) or tokenizer
                                         (llama2.c .bin, tokenizer.json) and print what it is; --full loads
                                         every tensor; --tokenizer reads PATH as a tokenizer whatever its name

The data directory is --data DIR, else $MOHAWK_DATA, else ../shared/data beside the checkout, else
~/.cache/mohawk/data.`;

function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>, positionals = 0) {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: positionals > 0, strict: true });
    if (r.positionals.length > positionals) throw new UsageError(`unexpected argument '${r.positionals[positionals]}'`, USAGE);
    return r;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message, USAGE);
  }
}

const out = (s: string) => process.stdout.write(s + '\n');

async function where(argv: string[]): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, json: { type: 'boolean' } });
  const choice = resolveDataDir({ data: values.data as string | undefined });
  const checks = checkDataFiles(choice.dir);
  const ok = checks.every((c) => c.status === 'present');
  if (values.json) {
    out(JSON.stringify({ dir: choice.dir, source: choice.source, ok, files: checks }, null, 2));
  } else {
    out(`data directory: ${choice.dir} (${describe(choice)})`);
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      const detail = c.status === 'present' ? '' : c.status === 'missing' ? '' : c.status === 'size mismatch' ? `  (${c.bytes} bytes, expected ${c.expectedBytes})` : `  (got ${c.sha256!.slice(0, 12)}…, expected ${c.expectedSha256.slice(0, 12)}…)`;
      out(`  ${c.name.padEnd(width)}  ${c.status}${detail}`);
    }
    if (!ok) out(`run 'mohawkc data download${choice.source === 'option' ? ` --dir ${choice.dir}` : ''}' to fetch the missing files`);
  }
  return ok ? EXIT_OK : EXIT_SPEC;
}

function describe(c: DataDirChoice): string {
  return { option: 'from --data', env: 'from $MOHAWK_DATA', shared: 'shared data beside the checkout', 'user-cache': 'user cache' }[c.source];
}

async function download(argv: string[]): Promise<number> {
  const { values } = parse(argv, { dir: { type: 'string' }, 'base-url': { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } });
  let dir = values.dir as string | undefined;
  if (!dir) {
    const choice = resolveDataDir();
    // The shared folder is read-only project data: never download into it.
    dir = choice.source === 'shared' ? userCacheDataDir() : choice.dir;
  }
  const baseUrl = values['base-url'] as string | undefined;
  if (baseUrl !== undefined && !/^https?:\/\//.test(baseUrl)) throw new UsageError(`--base-url must be an http(s) URL, got '${baseUrl}'`);
  const tty = !values.json && process.stderr.isTTY;
  let last = '';
  const onProgress = tty
    ? (p: DownloadProgress) => {
        const line = `  ${p.name}  ${Math.floor((100 * p.received) / p.total)}%  ${(p.received / 1e6).toFixed(1)}/${(p.total / 1e6).toFixed(1)} MB`;
        if (line !== last) process.stderr.write(`\r${line}\x1b[K`);
        last = line;
      }
    : undefined;
  try {
    const results = await downloadDataFiles({ dir, ...(baseUrl ? { baseUrl } : {}), force: !!values.force, ...(onProgress ? { onProgress } : {}) });
    if (tty && last) process.stderr.write('\r\x1b[K');
    if (values.json) out(JSON.stringify({ dir, files: results }, null, 2));
    else {
      out(`data directory: ${dir}`);
      for (const r of results) out(`  ${r.name}  ${r.status} (${r.bytes} bytes, sha256 ${r.sha256.slice(0, 12)}…)`);
    }
    return EXIT_OK;
  } finally {
    if (tty && last) process.stderr.write('\r\x1b[K');
  }
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { full: { type: 'boolean' }, tokenizer: { type: 'boolean' }, json: { type: 'boolean' } }, 1);
  const path = positionals[0];
  if (!path) throw new UsageError('inspect needs a PATH (checkpoint or tokenizer)', USAGE);
  const info = values.tokenizer || looksLikeTokenizer(path) ? tokenizerInfo(path) : checkpointInfo(path, !!values.full);
  if (values.json) out(JSON.stringify(info, null, 2));
  else for (const [k, v] of Object.entries(info)) out(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  return EXIT_OK;
}

function looksLikeTokenizer(path: string): boolean {
  return /(^|[\\/])(tok[^\\/]*\.bin|tokenizer[^\\/]*\.(bin|json))$/.test(path);
}

function tokenizerInfo(path: string): Record<string, unknown> {
  const t = loadTokenizer(path);
  return { kind: `tokenizer (${t.kind})`, file: t.file, vocabSize: t.vocabSize, bos: t.bos ?? null, eos: t.eos ?? null, sha256: t.hash };
}

function checkpointInfo(path: string, full: boolean): Record<string, unknown> {
  const format = detectCheckpointFormat(path);
  if (!full) return { kind: `checkpoint (${format})`, path, config: readTeacherHeader(path) };
  const ck = loadCheckpoint(path);
  const params = [...ck.tensors.values()].reduce((a, t) => a + t.data.length, 0);
  return { kind: `checkpoint (${format})`, path, config: ck.config, tensors: ck.tensors.size, parameters: params };
}

export const verb: Verb = {
  name: 'data',
  summary: 'locate, check, download and inspect data files',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'where':
        return where(rest);
      case 'download':
        return download(rest);
      case 'inspect':
        return inspect(rest);
      case undefined:
        throw new UsageError('missing command (where, download or inspect)', USAGE);
      default:
        throw new UsageError(`unknown command '${cmd}' (expected where, download or inspect)`, USAGE);
    }
  },
};
