/**
 * Atomic checkpoints. Writing one:
 *   1. every file goes into checkpoints/.tmp-<name>-<pid>/ (written, fsynced; state.json last), the folder fsynced;
 *   2. the folder is renamed to checkpoints/<name> and checkpoints/ fsynced — the checkpoint appears whole;
 *   3. `latest` is replaced atomically (temp + fsync + rename + fsync of the run directory);
 *   4. only then are checkpoints beyond the newest `keep` deleted (renamed to .trash-… first, then removed).
 * A kill at any point leaves `latest` naming a complete checkpoint (the new one or the previous one), and
 * state.json records the size and sha256 of both tensor files, so damage is detected on load. Leftover
 * .tmp-/.trash- folders and stray checkpoints are cleaned up by the next write or by `cleanRunDir`.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../io/atomic-write.ts';
import { encodeSafetensors, readSafetensors } from '../io/safetensors.ts';
import { FileFormatError, type HostTensor } from '../io/types.ts';
import { RunDirError } from './errors.ts';
import type { RunDir } from './run-dir.ts';
import { parseCheckpointState, type CheckpointState, type FileDigest } from './state.ts';

export const WEIGHTS_FILE = 'weights.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const STATE_FILE = 'state.json';

export interface CheckpointContents {
  state: CheckpointState;
  weights: Map<string, HostTensor>;
  /** AdamW moments (`exp_avg.<name>`, `exp_avg_sq.<name>`). */
  optimizer: Map<string, HostTensor>;
}

export interface LoadedCheckpoint extends CheckpointContents {
  /** Absolute path of the checkpoint folder and its name relative to the run (as `latest` holds it). */
  dir: string;
  name: string;
}

export interface WriteOptions {
  /** Checkpoints to keep, the new one included (default 2). */
  keep?: number;
  /** Never delete a stage's final checkpoint (default true): later tools read per-stage students from them. */
  keepStageEnds?: boolean;
  /** Called before every file-system step with a label: crash-injection tests stop the process there. */
  onStep?: (label: string) => void;
}

export function checkpointName(stage: string, step: number): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(stage)) {
    throw new RangeError(`stage name '${stage}' cannot name a checkpoint folder: use letters, digits, _ . -`);
  }
  return `${stage}-${step}`;
}

function writeFileDurable(file: string, chunks: Uint8Array[]): void {
  const fd = openSync(file, 'w', 0o644);
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function digest(chunks: Uint8Array[]): FileDigest {
  const h = createHash('sha256');
  let bytes = 0;
  for (const c of chunks) {
    h.update(c);
    bytes += c.length;
  }
  return { bytes, sha256: h.digest('hex') };
}

/** The checkpoint `latest` names, relative to the run directory, or null when there is none. */
export function readLatestName(run: RunDir): string | null {
  if (!existsSync(run.latest)) return null;
  const name = readFileSync(run.latest, 'utf8').trim();
  if (!/^checkpoints\/[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new FileFormatError(run.latest, `should name a checkpoint folder (checkpoints/<stage>-<step>), holds ${JSON.stringify(name.slice(0, 80))}`);
  }
  return name;
}

/**
 * Writes a checkpoint of `contents` (its `state.files` is filled in here) and points `latest` at it.
 * Returns its name relative to the run directory (as `latest` holds it) and the state.json written.
 */
export function writeCheckpoint(
  run: RunDir,
  contents: { state: Omit<CheckpointState, 'files'>; weights: Map<string, HostTensor>; optimizer: Map<string, HostTensor> },
  opts: WriteOptions = {},
): { name: string; state: CheckpointState } {
  const step = opts.onStep ?? (() => {});
  const name = checkpointName(contents.state.stage, contents.state.step);
  const rel = `checkpoints/${name}`;
  const final = join(run.checkpoints, name);
  if (readLatestName(run) === rel) throw new RunDirError(run.root, `refusing to overwrite ${rel}, the checkpoint 'latest' names`);

  const weights = encodeSafetensors(contents.weights);
  const optimizer = encodeSafetensors(contents.optimizer);
  const state: CheckpointState = { ...contents.state, files: { weights: digest(weights), optimizer: digest(optimizer) } };
  const stateBytes = Buffer.from(JSON.stringify(state, null, 2) + '\n', 'utf8');

  mkdirSync(run.checkpoints, { recursive: true });
  const tmp = join(run.checkpoints, `.tmp-${name}-${process.pid}`);
  step('mkdir-tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  step('write-weights');
  writeFileDurable(join(tmp, WEIGHTS_FILE), weights);
  step('write-optimizer');
  writeFileDurable(join(tmp, OPTIMIZER_FILE), optimizer);
  step('write-state');
  writeFileDurable(join(tmp, STATE_FILE), [stateBytes]);
  step('fsync-tmp');
  fsyncDir(tmp);
  if (existsSync(final)) {
    // A stray from a run killed after its rename but before `latest` moved: same step, not referenced.
    step('remove-stray');
    removeCheckpointDir(run, name, step);
  }
  step('rename');
  renameSync(tmp, final);
  step('fsync-checkpoints');
  fsyncDir(run.checkpoints);
  step('write-latest');
  writeFileAtomic(run.latest, [Buffer.from(rel + '\n', 'utf8')]);
  step('prune');
  prune(run, rel, opts.keep ?? 2, opts.keepStageEnds ?? true, step);
  step('done');
  return { name: rel, state };
}

function removeCheckpointDir(run: RunDir, entry: string, step: (label: string) => void = () => {}): void {
  // Rename first so a half-deleted folder never looks like a checkpoint.
  const src = join(run.checkpoints, entry);
  if (entry.startsWith('.trash-')) {
    rmSync(src, { recursive: true, force: true });
    return;
  }
  const trash = join(run.checkpoints, `.trash-${entry.replace(/^\.tmp-/, '')}-${process.pid}-${Date.now()}`);
  renameSync(src, trash);
  step(`trashed ${entry}`);
  rmSync(trash, { recursive: true, force: true });
}

interface Listed {
  entry: string;
  state: CheckpointState | null;
}

function listCheckpoints(run: RunDir): Listed[] {
  if (!existsSync(run.checkpoints)) return [];
  return readdirSync(run.checkpoints)
    .filter((e) => statSync(join(run.checkpoints, e)).isDirectory())
    .map((entry) => {
      if (entry.startsWith('.')) return { entry, state: null };
      const file = join(run.checkpoints, entry, STATE_FILE);
      try {
        return { entry, state: parseCheckpointState(file, readFileSync(file, 'utf8')) };
      } catch {
        return { entry, state: null };
      }
    });
}

function prune(run: RunDir, latestRel: string, keep: number, keepStageEnds: boolean, step: (l: string) => void): void {
  const latest = latestRel.slice('checkpoints/'.length);
  const all = listCheckpoints(run);
  const valid = all
    .filter((c): c is { entry: string; state: CheckpointState } => c.state !== null)
    .sort((a, b) => a.state.stageIndex - b.state.stageIndex || a.state.step - b.state.step);
  const latestAt = valid.findIndex((c) => c.entry === latest);
  const kept = new Set<string>([latest]);
  // The newest `keep` at or before `latest`; anything after it belongs to an abandoned timeline.
  for (let i = latestAt - 1; i >= 0 && kept.size < Math.max(1, keep); i--) kept.add(valid[i].entry);
  if (keepStageEnds) {
    for (let i = 0; i < latestAt; i++) if (valid[i].state.stageComplete) kept.add(valid[i].entry);
  }
  for (const c of all) {
    if (kept.has(c.entry)) continue;
    step(`delete ${c.entry}`);
    removeCheckpointDir(run, c.entry, step);
  }
}

/**
 * Removes what a killed process may have left: temp and trash folders, checkpoints newer than `latest` or
 * unreadable ones, and stray temp files of `latest`. Called when a run (re)starts.
 */
export function cleanRunDir(run: RunDir): void {
  const latestRel = readLatestName(run);
  const latest = latestRel?.slice('checkpoints/'.length) ?? null;
  const all = listCheckpoints(run);
  const latestState = all.find((c) => c.entry === latest)?.state ?? null;
  for (const c of all) {
    if (c.entry === latest) continue;
    if (c.entry.startsWith('.')) {
      removeCheckpointDir(run, c.entry);
      continue;
    }
    // A `latest` that cannot be read is reported by the loader; keep every checkpoint for a manual rescue then.
    if (latestRel !== null && latestState === null) continue;
    const stale =
      c.state === null ||
      latestState === null ||
      c.state.stageIndex > latestState.stageIndex ||
      (c.state.stageIndex === latestState.stageIndex && c.state.step > latestState.step);
    if (stale) removeCheckpointDir(run, c.entry);
  }
  if (existsSync(run.root)) {
    for (const e of readdirSync(run.root)) if (e.startsWith('.latest.tmp-')) rmSync(join(run.root, e), { force: true });
  }
}

/** Loads and verifies a checkpoint folder (sizes and sha256 of the tensor files against state.json). */
export function loadCheckpoint(run: RunDir, rel: string): LoadedCheckpoint {
  const dir = join(run.root, rel);
  if (!existsSync(dir)) throw new FileFormatError(run.latest, `names ${rel}, which does not exist`);
  const stateFile = join(dir, STATE_FILE);
  if (!existsSync(stateFile)) throw new FileFormatError(stateFile, 'is missing');
  const state = parseCheckpointState(stateFile, readFileSync(stateFile, 'utf8'));
  const read = (fileName: string, want: FileDigest) => {
    const file = join(dir, fileName);
    if (!existsSync(file)) throw new FileFormatError(file, 'is missing');
    const bytes = readFileSync(file);
    const got = digest([bytes]);
    if (got.bytes !== want.bytes || got.sha256 !== want.sha256) {
      throw new FileFormatError(file, `is damaged: ${got.bytes} bytes, sha256 ${got.sha256.slice(0, 12)}…, but state.json records ${want.bytes} bytes, ${want.sha256.slice(0, 12)}…`);
    }
    return readSafetensors(file).tensors;
  };
  const weights = read(WEIGHTS_FILE, state.files.weights);
  const optimizer = read(OPTIMIZER_FILE, state.files.optimizer);
  const expected = checkpointName(state.stage, state.step);
  if (rel !== `checkpoints/${expected}`) throw new FileFormatError(stateFile, `describes ${expected} but sits in ${relative(run.root, dir)}`);
  return { state, weights, optimizer, dir, name: rel };
}

/** The checkpoint `latest` names, loaded and verified; null for a run that has none yet. */
export function loadLatest(run: RunDir): LoadedCheckpoint | null {
  const rel = readLatestName(run);
  return rel === null ? null : loadCheckpoint(run, rel);
}
