/**
 * Data blocks: `source = text("path") | teacher_samples(temperature:, top_p:) | mix(name: weight, ...)`,
 * `protocol` for text, `seed`. Without any data block, stages read the edition default (TinyStories train.txt
 * by lines, as the reference recipe).
 */
import type { Block, Entry } from '../../grammar/ast.ts';
import type { DataSourceIR } from '../ir/types.ts';
import { suggest } from '../util/suggest.ts';
import type { Ctx } from './context.ts';
import { displayPath, resolveSpecPath } from './data-path.ts';
import { argNumber, readCall, readName, readNumber, readString, type CallSig } from './values.ts';

const SOURCES: Record<DataSourceIR['kind'], CallSig> = {
  text: { params: ['path'], positional: ['path'] },
  teacher_samples: { params: ['temperature', 'top_p'] },
  mix: { params: [], openNames: true },
};
export const TEXT_PROTOCOLS = ['lines', 'paragraphs', 'windows'] as const;

export interface DataSource {
  name: string;
  block?: Block;
  ir?: DataSourceIR;
  kind?: DataSourceIR['kind'];
  /** mix parts as written, resolved in resolveMixes. */
  parts?: { name: string; entryName: Entry['key']; weight?: number }[];
}

export interface DataFacts {
  sources: Map<string, DataSource>;
  /** True when no data block exists and the edition default source stands in. */
  implicit: boolean;
  used: Set<string>;
}

export function checkDataBlocks(ctx: Ctx, blocks: Block[]): DataFacts {
  const facts: DataFacts = { sources: new Map(), implicit: blocks.length === 0, used: new Set() };
  if (facts.implicit) {
    const d = ctx.defaults.data;
    facts.sources.set(d.name, { name: d.name, ir: { ...d }, kind: 'text' });
    return facts;
  }
  for (const b of blocks) {
    const name = b.name!.text;
    facts.sources.set(name, checkDataBlock(ctx, b, name));
  }
  resolveMixes(ctx, facts);
  return facts;
}

function checkDataBlock(ctx: Ctx, block: Block, name: string): DataSource {
  const s = ctx.settings(block, 'data');
  const out: DataSource = { name, block };
  const seedE = s.get('seed');
  const seed = seedE ? readNumber(ctx, seedE.value, 'seed', 'int', { min: 0 }) : ctx.defaults.seed;
  const srcE = s.get('source');
  if (!srcE) {
    ctx.error('MHK0112', block.header, `data source \`${name}\` needs a \`source\``, { help: 'e.g. `source = text("tinystories/train.txt")`, `teacher_samples(temperature: 1)` or `mix(a: 0.7, b: 0.3)`' });
    return out;
  }
  const call = readCall(ctx, srcE.value, 'source', SOURCES, 'data source');
  if (!call) return out;
  const kind = call.name as DataSourceIR['kind'];
  out.kind = kind;
  const protoE = s.get('protocol');
  if (protoE && kind !== 'text') {
    ctx.error('MHK0603', protoE.key.span, `a \`${kind}\` source has no \`protocol\``, { secondary: [{ span: srcE.value.span, message: `\`${kind}\` source` }], help: 'protocols cut text files into sequences: only `text(...)` sources have one' });
    return out;
  }
  const protocol = protoE ? readName(ctx, protoE.value, 'protocol', TEXT_PROTOCOLS, 'protocol') : undefined;
  if (protoE && protocol === undefined) return out;
  if (kind === 'text') {
    const pathArg = call.args.get('path');
    if (!pathArg) {
      ctx.error('MHK0605', srcE.value.span, '`text(...)` needs the path of a text file', { help: 'e.g. `text("tinystories/train.txt")` (relative to the data directory)' });
      return out;
    }
    const path = readString(ctx, pathArg.value, 'path');
    if (path === undefined || seed === undefined) return out;
    const r = resolveSpecPath(path, ctx.opts.specDir, ctx.opts.dataDir);
    if (!r.exists) {
      ctx.error('MHK0901', pathArg.value.span, `data file \`${path}\` not found`, { label: 'no such file', notes: [`looked in: ${r.tried.map(displayPath).join(', ')}`], help: 'paths are relative to the data directory (--data, $MOHAWK_DATA, ../shared/data); `./` paths are relative to the spec' });
      return out;
    }
    out.ir = { name, kind, path, protocol: protocol ?? 'lines', seed };
    return out;
  }
  if (kind === 'teacher_samples') {
    const temperature = argNumber(ctx, call, 'temperature', 'float', { min: 0, open: true });
    const topP = argNumber(ctx, call, 'top_p', 'fraction', { min: 0, max: 1 });
    if (topP === 0) ctx.error('MHK0303', call.args.get('top_p')!.value.span, '`top_p` must be greater than 0');
    const bad = (call.args.has('temperature') && temperature === undefined) || (call.args.has('top_p') && (topP === undefined || topP === 0));
    if (bad || seed === undefined) return out;
    out.ir = { name, kind, protocol: 'windows', temperature: temperature ?? 1, topP: topP ?? 1, seed };
    return out;
  }
  // mix: parts are data names with weights, resolved once every block is known.
  if (!call.ordered.length) {
    ctx.error('MHK0602', srcE.value.span, '`mix(...)` needs at least one part', { help: 'e.g. `mix(train: 0.7, samples: 0.3)`' });
    return out;
  }
  out.parts = [];
  for (const a of call.ordered) {
    if (!a.name) continue;
    const w = readNumber(ctx, a.value, a.name.text, 'float', { min: 0, open: true, rangeCode: 'MHK0313' });
    out.parts.push({ name: a.name.text, entryName: a.name, weight: w });
  }
  if (seed !== undefined) out.ir = { name, kind, protocol: 'windows', parts: [], seed };
  return out;
}

function resolveMixes(ctx: Ctx, facts: DataFacts): void {
  for (const src of facts.sources.values()) {
    if (src.kind !== 'mix' || !src.parts) continue;
    let ok = !!src.ir;
    for (const p of src.parts) {
      const target = facts.sources.get(p.name);
      if (!target) {
        const near = suggest(p.name, [...facts.sources.keys()].filter((n) => n !== src.name));
        ctx.error('MHK0105', p.entryName.span, `no data source named \`${p.name}\``, { help: near ? `did you mean \`${near}\`?` : `declared sources: ${[...facts.sources.keys()].map((n) => `\`${n}\``).join(', ')}` });
        ok = false;
      } else if (target.kind === 'mix') {
        ctx.error('MHK0602', p.entryName.span, p.name === src.name ? `mix \`${src.name}\` names itself` : `\`${p.name}\` is itself a mix; a mix combines text and teacher-sample sources`, { help: 'list the underlying sources with their weights' });
        ok = false;
      } else if (p.weight === undefined) ok = false;
    }
    if (ok) src.ir!.parts = src.parts.map((p) => ({ source: p.name, weight: p.weight! }));
    else src.ir = undefined;
  }
}

/** Marks a source used (and the parts of a mix). */
export function markUsed(facts: DataFacts, name: string): void {
  facts.used.add(name);
  for (const p of facts.sources.get(name)?.parts ?? []) facts.used.add(p.name);
}

export function reportUnused(ctx: Ctx, facts: DataFacts): void {
  if (facts.implicit) return;
  for (const src of facts.sources.values()) {
    if (!facts.used.has(src.name) && src.block) ctx.error('MHK0604', src.block.name!.span, `data source \`${src.name}\` is not used by any stage`, { help: 'name it in a stage (`data = ...`), in `defaults`, or in a `mix(...)`; or delete it' });
  }
}
