/**
 * The generated/ tree as a whole: one MANIFEST.json (path → sha256 and owning specs, spec hashes, compiler
 * version), write-if-changed, removal of stale files (only files an earlier manifest recorded, never files we
 * did not write), and `--check` that lists every difference. Building a subset of the specs keeps the
 * outputs of the others.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { KernelVariantIR } from '../ir/types.ts';
import { COMPILER_VERSION } from '../version.ts';
import { jsonBanner } from './banner.ts';
import type { GeneratedFile } from './program.ts';

export const MANIFEST = 'MANIFEST.json';

export interface SpecRecord {
  /** sha256 of the spec source bytes. */
  sha256: string;
  /** sha256 of its canonical IR. */
  irHash: string;
  /** The kernel variants it needs (kept so that building another spec alone can still emit the full table). */
  kernels: KernelVariantIR[];
}

export interface Manifest {
  _generated: ReturnType<typeof jsonBanner>;
  compilerVersion: string;
  specs: Record<string, SpecRecord>;
  files: Record<string, { sha256: string; specs: string[] }>;
}

/** One spec's contribution to the tree. Shared files (kernels) appear in several contributions. */
export interface Contribution {
  spec: string;
  record: SpecRecord;
  files: GeneratedFile[];
}

export interface TreePlan {
  outDir: string;
  manifest: Manifest;
  /** Files whose bytes differ from disk (or are missing). */
  write: GeneratedFile[];
  unchanged: string[];
  /** Files an earlier manifest recorded that no current spec produces. */
  stale: string[];
  /** Files on disk that no manifest accounts for (reported, never deleted). */
  unknown: string[];
  manifestText: string;
  manifestChanged: boolean;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function readManifest(outDir: string): Manifest | undefined {
  const p = join(outDir, MANIFEST);
  if (!existsSync(p)) return undefined;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8')) as Manifest;
    return m && typeof m.files === 'object' && typeof m.specs === 'object' ? m : undefined;
  } catch {
    return undefined; // a corrupt manifest is rebuilt from scratch
  }
}

/**
 * Plan the new tree. `contributions` are the specs being built now; `shared(allSpecs)` emits the files that
 * depend on every spec at once (kernel files and the dispatch table), given the records of all specs —
 * those built now and those kept from the previous manifest.
 */
export function planTree(
  outDir: string,
  contributions: Contribution[],
  shared: (records: Record<string, SpecRecord>) => GeneratedFile[],
  /** Folder that spec paths are relative to (default: the folder holding outDir). */
  root: string = dirname(resolve(outDir)),
): TreePlan {
  const old = readManifest(outDir);
  const built = new Set(contributions.map((c) => c.spec));
  const specs: Record<string, SpecRecord> = {};
  for (const [spec, rec] of Object.entries(old?.specs ?? {})) if (!built.has(spec) && existsSync(resolve(root, spec))) specs[spec] = rec;
  for (const c of contributions) specs[c.spec] = c.record;

  const files = new Map<string, { content: string; specs: Set<string> }>();
  const add = (f: GeneratedFile, spec: string) => {
    const e = files.get(f.path);
    if (e && e.content !== f.content) throw new Error(`two outputs disagree on ${f.path}`);
    (e ?? files.set(f.path, { content: f.content, specs: new Set() }).get(f.path)!).specs.add(spec);
  };
  for (const c of contributions) for (const f of c.files) add(f, c.spec);
  // Keep files of specs not rebuilt now, as the old manifest recorded them.
  for (const [path, entry] of Object.entries(old?.files ?? {})) {
    const keepers = entry.specs.filter((s) => specs[s] && !built.has(s));
    if (keepers.length === 0 || files.has(path) || path.startsWith('kernels/')) continue;
    const disk = join(outDir, path);
    if (existsSync(disk)) for (const s of keepers) add({ path, content: readFileSync(disk, 'utf8') }, s);
  }
  for (const f of shared(specs)) add(f, '*');

  const sortedPaths = [...files.keys()].sort();
  const manifest: Manifest = {
    _generated: jsonBanner(Object.keys(specs).sort()),
    compilerVersion: COMPILER_VERSION,
    specs: Object.fromEntries(Object.keys(specs).sort().map((s) => [s, specs[s]])),
    files: Object.fromEntries(sortedPaths.map((p) => [p, { sha256: sha256(files.get(p)!.content), specs: [...files.get(p)!.specs].sort() }])),
  };
  const write: GeneratedFile[] = [];
  const unchanged: string[] = [];
  for (const p of sortedPaths) {
    const disk = join(outDir, p);
    const content = files.get(p)!.content;
    if (existsSync(disk) && readFileSync(disk, 'utf8') === content) unchanged.push(p);
    else write.push({ path: p, content });
  }
  const stale = Object.keys(old?.files ?? {}).filter((p) => !files.has(p) && existsSync(join(outDir, p))).sort();
  const known = new Set([...sortedPaths, ...stale, MANIFEST]);
  const unknown = listFiles(outDir).filter((p) => !known.has(p)).sort();
  const manifestText = JSON.stringify(manifest, null, 2) + '\n';
  const manifestPath = join(outDir, MANIFEST);
  const manifestChanged = !existsSync(manifestPath) || readFileSync(manifestPath, 'utf8') !== manifestText;
  return { outDir, manifest, write, unchanged, stale, unknown, manifestText, manifestChanged };
}

/** Apply a plan: write changed files (atomically), remove stale ones, write the manifest last. */
export function applyTree(plan: TreePlan): void {
  for (const f of plan.write) atomicWrite(join(plan.outDir, f.path), f.content);
  for (const p of plan.stale) {
    rmSync(join(plan.outDir, p), { force: true });
    pruneEmptyDirs(dirname(join(plan.outDir, p)), plan.outDir);
  }
  if (plan.manifestChanged) atomicWrite(join(plan.outDir, MANIFEST), plan.manifestText);
}

/** Human-readable differences for `build --check`; empty when the tree is up to date. */
export function describeDifferences(plan: TreePlan): string[] {
  const out: string[] = [];
  for (const f of plan.write) out.push(`${existsSync(join(plan.outDir, f.path)) ? 'changed' : 'missing'}: ${join(relative('.', plan.outDir) || '.', f.path)}`);
  for (const p of plan.stale) out.push(`stale:   ${join(relative('.', plan.outDir) || '.', p)}`);
  if (plan.manifestChanged && out.length === 0) out.push(`changed: ${join(relative('.', plan.outDir) || '.', MANIFEST)}`);
  return out;
}

function atomicWrite(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

function pruneEmptyDirs(dir: string, stop: string): void {
  while (dir.startsWith(stop) && dir !== stop && existsSync(dir) && readdirSync(dir).length === 0) {
    rmdirSync(dir);
    dir = dirname(dir);
  }
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p).split('\\').join('/'));
    }
  };
  walk(root);
  return out;
}
