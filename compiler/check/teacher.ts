/**
 * The teacher block: where the checkpoint is, and the architecture read from its header (llama2.c `.bin`,
 * HF config.json, GGUF metadata) through runtime/io — never tensors. Declared values are assertions that must
 * agree with the header (MHK0801, pointing at the declaration and at the checkpoint path).
 */
import type { Block, Entry, Span } from '../../grammar/ast.ts';
import { detectCheckpointFormat, readTeacherHeader } from '../../runtime/io/checkpoint.ts';
import { readHfConfig } from '../../runtime/io/hf-config.ts';
import type { TransformerConfig } from '../../runtime/io/types.ts';
import type { CheckpointFormat, TeacherFamily, TeacherIR } from '../ir/types.ts';
import type { Ctx } from './context.ts';
import { displayPath, resolveSpecPath } from './data-path.ts';
import { readName, readNumber, readString } from './values.ts';

export type TeacherShape = Pick<TransformerConfig, 'family' | 'dModel' | 'layers' | 'heads' | 'kvHeads' | 'headDim' | 'vocab' | 'maxSeqLen' | 'ffnHidden'>;

export interface TeacherFacts {
  name: string;
  block: Block;
  /** Header values, or the declared ones where the header could not be read (checks go on with those). */
  shape: Partial<TeacherShape>;
  /** True when `shape` came from a readable header. */
  fromHeader: boolean;
  format?: CheckpointFormat;
  checkpoint?: string;
  checkpointSpan?: Span;
  tokenizer?: string;
  /** Where a checker rule can point to show a teacher value: its declaration, else the checkpoint path. */
  spanOf(key: keyof TeacherShape): Span;
}

const FAMILIES = ['llama', 'phi', 'gpt2'] as const;
const FORMATS = ['llama2c', 'hf', 'gguf'] as const;

/** Spec key → shape field, and how each format's header names it (for messages). */
const DECLARED: Record<string, { field: keyof TeacherShape; header: Record<CheckpointFormat, string> }> = {
  family: { field: 'family', header: { llama2c: 'family (llama2.c is always llama)', hf: 'model_type', gguf: 'general.architecture' } },
  layers: { field: 'layers', header: { llama2c: 'n_layers', hf: 'num_hidden_layers', gguf: 'llama.block_count' } },
  d_model: { field: 'dModel', header: { llama2c: 'dim', hf: 'hidden_size', gguf: 'llama.embedding_length' } },
  heads: { field: 'heads', header: { llama2c: 'n_heads', hf: 'num_attention_heads', gguf: 'llama.attention.head_count' } },
  kv_heads: { field: 'kvHeads', header: { llama2c: 'n_kv_heads', hf: 'num_key_value_heads', gguf: 'llama.attention.head_count_kv' } },
  head_dim: { field: 'headDim', header: { llama2c: 'dim / n_heads', hf: 'head_dim', gguf: 'llama.attention.key_length' } },
  vocab: { field: 'vocab', header: { llama2c: 'vocab_size', hf: 'vocab_size', gguf: 'tokenizer vocabulary size' } },
  max_seq_len: { field: 'maxSeqLen', header: { llama2c: 'seq_len', hf: 'max_position_embeddings', gguf: 'llama.context_length' } },
  ffn_hidden: { field: 'ffnHidden', header: { llama2c: 'hidden_dim', hf: 'intermediate_size', gguf: 'llama.feed_forward_length' } },
};

function inferFormat(path: string): CheckpointFormat | undefined {
  try {
    return detectCheckpointFormat(path);
  } catch {
    return undefined;
  }
}

/** HF teachers need only config.json here: the checker reads headers, so a shapes-only folder is fine. */
function readHeader(path: string, format: CheckpointFormat): TeacherShape {
  return format === 'hf' ? readHfConfig(path) : readTeacherHeader(path);
}

export function checkTeacher(ctx: Ctx, block: Block): TeacherFacts {
  const s = ctx.settings(block, 'teacher');
  const name = block.name?.text ?? 'teacher';
  const declared = new Map<string, { value: number | string; entry: Entry }>();
  for (const [key, spec] of Object.entries(DECLARED)) {
    const e = s.get(key);
    if (!e) continue;
    const v = spec.field === 'family' ? readName(ctx, e.value, key, FAMILIES, 'teacher family') : readNumber(ctx, e.value, key, 'int', { min: 1 });
    if (v !== undefined) declared.set(key, { value: v, entry: e });
  }
  const kvDecl = declared.get('kv_heads');
  const headsDecl = declared.get('heads');
  if (kvDecl && headsDecl && (headsDecl.value as number) % (kvDecl.value as number) !== 0)
    ctx.error('MHK0403', kvDecl.entry.value.span, `kv_heads ${kvDecl.value} does not divide heads ${headsDecl.value}`, { secondary: [{ span: headsDecl.entry.value.span, message: 'heads' }] });

  const facts: TeacherFacts = {
    name,
    block,
    shape: {},
    fromHeader: false,
    spanOf: (key) => {
      const k = Object.keys(DECLARED).find((d) => DECLARED[d].field === key);
      const d = k ? declared.get(k) : undefined;
      return d?.entry.value.span ?? facts.checkpointSpan ?? block.header;
    },
  };
  for (const [key, d] of declared) (facts.shape as Record<string, unknown>)[DECLARED[key].field] = d.value;

  const declaredFormat = s.get('format') ? readName(ctx, s.get('format')!.value, 'format', FORMATS, 'checkpoint format') : undefined;
  const ckEntry = s.get('checkpoint');
  if (!ckEntry) {
    ctx.error('MHK0112', block.header, `teacher \`${name}\` needs a \`checkpoint\``, { help: 'e.g. `checkpoint = "stories260K/stories260K.bin"` (a llama2.c .bin, a GGUF file, or a Hugging Face folder)' });
  } else {
    const ck = readString(ctx, ckEntry.value, 'checkpoint');
    if (ck !== undefined) {
      facts.checkpoint = ck;
      facts.checkpointSpan = ckEntry.value.span;
      readCheckpointHeader(ctx, facts, ck, declaredFormat, s.get('format'), declared);
    }
  }

  const tokEntry = s.get('tokenizer');
  if (tokEntry) {
    const tok = readString(ctx, tokEntry.value, 'tokenizer');
    if (tok !== undefined) {
      facts.tokenizer = tok;
      const r = resolveSpecPath(tok, ctx.opts.specDir, ctx.opts.dataDir);
      if (!r.exists)
        ctx.error('MHK0901', tokEntry.value.span, `tokenizer \`${tok}\` not found`, { label: 'no such file', notes: [`looked in: ${r.tried.map(displayPath).join(', ')}`], help: 'paths are relative to the data directory (--data, $MOHAWK_DATA); `npx mohawkc data download` fetches the stories260K files' });
    }
  } else if (facts.format === 'llama2c') {
    ctx.error('MHK0112', block.header, `teacher \`${name}\` needs a \`tokenizer\`: llama2.c checkpoints do not contain one`, { help: 'e.g. `tokenizer = "stories260K/tok512.bin"`' });
  } else if (facts.checkpoint !== undefined) {
    // HF folders hold tokenizer.json and GGUF files embed their vocabulary: the checkpoint path serves.
    facts.tokenizer = facts.checkpoint;
  }
  return facts;
}

function readCheckpointHeader(
  ctx: Ctx,
  facts: TeacherFacts,
  ck: string,
  declaredFormat: CheckpointFormat | undefined,
  formatEntry: Entry | undefined,
  declared: Map<string, { value: number | string; entry: Entry }>,
): void {
  const span = facts.checkpointSpan!;
  const r = resolveSpecPath(ck, ctx.opts.specDir, ctx.opts.dataDir);
  if (!r.exists) {
    ctx.error('MHK0901', span, `teacher checkpoint \`${ck}\` not found`, {
      label: 'no such file or folder',
      notes: [`looked in: ${r.tried.map(displayPath).join(', ')}`],
      help: 'paths are relative to the data directory (--data, $MOHAWK_DATA, ../shared/data); `./` paths are relative to the spec. `npx mohawkc data download` fetches stories260K',
    });
    facts.format = declaredFormat;
    return;
  }
  const format = inferFormat(r.path);
  if (declaredFormat && format && declaredFormat !== format) {
    ctx.error('MHK0802', formatEntry!.value.span, `\`format = ${declaredFormat}\` but \`${ck}\` is a ${format} checkpoint`, { secondary: [{ span, message: `read as ${format}` }], help: 'delete `format` (it is inferred) or point `checkpoint` at the right file' });
  }
  facts.format = format ?? declaredFormat;
  if (!facts.format) {
    ctx.error('MHK0802', span, `cannot tell the format of \`${ck}\``, { help: 'a llama2.c `.bin`, a `.gguf` file, or a Hugging Face folder with config.json' });
    return;
  }
  let shape: TeacherShape;
  try {
    shape = readHeader(r.path, facts.format);
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(r.path, ck) : String(e);
    ctx.error('MHK0803', span, `cannot read the teacher's header: ${msg}`, { label: 'this checkpoint' });
    return;
  }
  facts.shape = { family: shape.family, dModel: shape.dModel, layers: shape.layers, heads: shape.heads, kvHeads: shape.kvHeads, headDim: shape.headDim, vocab: shape.vocab, maxSeqLen: shape.maxSeqLen, ffnHidden: shape.ffnHidden };
  facts.fromHeader = true;
  for (const [key, d] of declared) {
    const spec = DECLARED[key];
    const actual = shape[spec.field];
    if (actual === d.value) continue;
    ctx.error('MHK0801', d.entry.value.span, `teacher \`${facts.name}\` declares \`${key} = ${d.value}\` but its checkpoint header says ${actual}`, {
      label: 'declared here',
      secondary: [{ span, message: `header: ${spec.header[facts.format]} = ${actual}` }],
      help: `the architecture comes from the checkpoint; set \`${key} = ${actual}\` or delete the declaration`,
    });
  }
}

export function teacherIR(facts: TeacherFacts): TeacherIR | undefined {
  const s = facts.shape;
  if (!facts.fromHeader || !facts.format || facts.checkpoint === undefined || facts.tokenizer === undefined) return undefined;
  return {
    name: facts.name,
    family: s.family as TeacherFamily,
    format: facts.format,
    checkpoint: facts.checkpoint,
    tokenizer: facts.tokenizer,
    dModel: s.dModel!,
    layers: s.layers!,
    heads: s.heads!,
    kvHeads: s.kvHeads!,
    headDim: s.headDim!,
    vocab: s.vocab!,
    maxSeqLen: s.maxSeqLen!,
    ffnHidden: s.ffnHidden!,
  };
}
