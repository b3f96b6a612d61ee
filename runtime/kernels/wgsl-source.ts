/**
 * Splits a generated .wgsl file into its sections and assembles one shader module per pass: for a standalone
 * run through Dawn ([enable] + common + bindings + code) or as the user code of a tfjs-webgpu program
 * (common + code; tfjs writes the bindings and the entry point).
 */
import { readFileSync } from 'node:fs';

const SECTION_RE = /^\/\/ ==== (.+) ====$/;

export interface WgslFile {
  enable: string;
  common: string;
  passes: Map<string, { bindings: string; code: string }>;
}

export class KernelFileError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'KernelFileError';
  }
}

export function parseWgslFile(text: string, file = '<wgsl>'): WgslFile {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = SECTION_RE.exec(line);
    if (m) {
      current = [];
      sections.set(m[1], current);
    } else if (current) current.push(line);
  }
  const common = sections.get('common');
  if (!common) throw new KernelFileError(file, 'no "common" section (not a generated mohawk kernel file?)');
  const passes = new Map<string, { bindings: string; code: string }>();
  for (const [name, lines] of sections) {
    const m = /^pass (\S+) \/ (bindings|code)$/.exec(name);
    if (!m) continue;
    const entry = passes.get(m[1]) ?? { bindings: '', code: '' };
    entry[m[2] as 'bindings' | 'code'] = lines.join('\n');
    passes.set(m[1], entry);
  }
  for (const [name, p] of passes) if (!p.bindings || !p.code) throw new KernelFileError(file, `pass ${name} lacks its bindings or code section`);
  return { enable: (sections.get('enable') ?? []).join('\n'), common: common.join('\n'), passes };
}

const cache = new Map<string, WgslFile>();

export function loadWgslFile(path: string): WgslFile {
  let f = cache.get(path);
  if (!f) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new KernelFileError(path, `cannot read the generated kernel (${(e as Error).message}); run \`npx mohawkc build\``);
    }
    f = parseWgslFile(text, path);
    cache.set(path, f);
  }
  return f;
}

function pass(f: WgslFile, name: string, file: string) {
  const p = f.passes.get(name);
  if (!p) throw new KernelFileError(file, `no pass '${name}'`);
  return p;
}

export function standaloneModule(f: WgslFile, passName: string, file = '<wgsl>'): string {
  const p = pass(f, passName, file);
  return [f.enable, f.common, p.bindings, p.code].filter((s) => s.length > 0).join('\n');
}

export function tfjsUserCode(f: WgslFile, passName: string, file = '<wgsl>'): string {
  const p = pass(f, passName, file);
  return [f.common, p.code].join('\n');
}
