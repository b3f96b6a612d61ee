/**
 * Every diagnostic code, its title and its long explanation (`mohawkc explain CODE`, docs/language.md).
 * Codes are grouped by phase: 00xx reading and parsing, 01xx names, 02xx types and units, 03xx values and
 * ranges, 04xx shape algebra, 05xx stages, 06xx data, 07xx kernels, 08xx teacher header, 09xx files.
 * A code never changes meaning; retired codes stay reserved.
 */
export type Severity = 'error' | 'warning';

export interface CodeInfo {
  title: string;
  severity: Severity;
  /** Errors about files outside the spec (missing, unreadable, malformed) make the CLI exit 2 instead of 1. */
  io?: boolean;
  explanation: string;
}

export const CODES = {
  // ── 00xx: reading and parsing ────────────────────────────────────────────────────────────────────────
  MHK0001: {
    title: 'unexpected character',
    severity: 'error',
    explanation: `The lexer met a character that cannot start any token. Outside strings and comments a spec holds
only ASCII names (\`[A-Za-z_][A-Za-z0-9_]*\`), numbers, double-quoted strings and the punctuation
\`{ } [ ] ( ) = : , . .. ..= @ -\`. Comments start with \`//\`.

    lr = 1e-3 ;        // error: ';' is not part of the language
    lr = 1e-3          // ok`,
  },
  MHK0002: {
    title: 'unterminated string',
    severity: 'error',
    explanation: `A string opened with \`"\` is not closed before the end of its line. Strings cannot span lines.

    checkpoint = "stories260K/stories260K.bin     // error
    checkpoint = "stories260K/stories260K.bin"    // ok`,
  },
  MHK0003: {
    title: 'syntax error',
    severity: 'error',
    explanation: `The parser expected something else at this point. The message says what it expected. A block is
\`KIND NAME (: STAGE_KIND)? { key = value ... }\`, entries are \`key = value\`, lists are \`[a, b]\`, calls are
\`name(arg: value, ...)\`. The parser recovers and reports further errors in the same file, so fix the
first one first: later ones may follow from it.

    stage orient matrix_orientation { }    // error: expected ':' before the stage kind
    stage orient : matrix_orientation { }  // ok`,
  },
  MHK0004: {
    title: 'missing edition line',
    severity: 'error',
    explanation: `Every spec starts with its edition, \`mohawk 0.1\` or \`mohawk 0.2\`. The edition pins the defaults and
the checker rules, so that a spec keeps its meaning when a later compiler changes a default (docs/language.md §6).

    mohawk 0.2          // first line of every spec`,
  },
  MHK0005: {
    title: 'entries on one line need a comma',
    severity: 'error',
    explanation: `Entries of a block are separated by line breaks or commas. Two entries on one line without a comma
read like a typo (a lost line break or a lost operator), so they are an error.

    stage e2e : end_to_end { tokens = 2M lr = 5e-4 }     // error
    stage e2e : end_to_end { tokens = 2M, lr = 5e-4 }    // ok`,
  },
  MHK0006: {
    title: 'not a text file',
    severity: 'error',
    explanation: `The spec is not valid UTF-8 text, or it contains NUL bytes. Specs are UTF-8 text files; this error
usually means that a binary file (a checkpoint, a tokenizer) was passed where a spec was expected, or that
an editor saved the spec in another encoding (Latin-1, UTF-16).`,
  },
  MHK0007: {
    title: 'nesting too deep',
    severity: 'error',
    explanation: `Brackets, parentheses and braces may nest 32 levels deep at most. Specs are flat recipes (a list of
calls with arguments is two levels); the limit keeps the parser's recursion bounded for any input.`,
  },
  MHK0008: {
    title: 'unsupported edition',
    severity: 'error',
    explanation: `The edition line names an edition this compiler does not know. Editions 0.1 (the reference MOHAWK
recipe's defaults) and 0.2 (stage-3 lr 2e-3, decay_init 0.9; docs/language.md §6) exist so far.

    mohawk 0.3    // error
    mohawk 0.2    // ok`,
  },
  MHK0009: {
    title: 'malformed number',
    severity: 'error',
    explanation: `A number literal is malformed or out of range. Numbers are written \`12\`, \`0.5\`, \`1e-4\`, or with
a count suffix: \`250K\` (10^3), \`2M\` (10^6), \`2.7B\` (10^9), \`16Ki\` (2^10), \`1Mi\` (2^20), \`1Gi\` (2^30);
\`5%\` is 0.05. A suffix must follow the digits directly and nothing may follow the suffix. Values must stay
below 2^53.

    tokens = 12KM     // error
    tokens = 12M      // ok`,
  },
  MHK0010: {
    title: 'spec too large',
    severity: 'error',
    explanation: `The spec is larger than 1 MiB. Specs are short recipes (a few dozen lines); a file this large is almost
certainly not a spec.`,
  },
  MHK0011: {
    title: 'unexpected end of file',
    severity: 'error',
    explanation: `The file ends inside a block, list or call: a \`}\`, \`]\` or \`)\` is missing. The message names the
token the parser expected; the opening bracket is usually a few lines above.`,
  },
  MHK0012: {
    title: 'unknown escape in a string',
    severity: 'error',
    explanation: `Strings know four escapes: \`\\n\`, \`\\t\`, \`\\"\` and \`\\\\\`. Write a literal backslash as \`\\\\\`
(paths use \`/\` on every platform, so backslashes are rarely needed).`,
  },

  // ── 01xx: names ──────────────────────────────────────────────────────────────────────────────────────
  MHK0101: {
    title: 'unknown block kind',
    severity: 'error',
    explanation: `A top-level block starts with its kind: \`teacher\`, \`student\`, \`data\`, \`defaults\`, \`stage\`,
\`kernels\` or \`eval\`. Anything else is an error (with a suggestion when the name is close to a kind).

    stages e2e : end_to_end { }    // error: did you mean \`stage\`?`,
  },
  MHK0102: {
    title: 'unknown key',
    severity: 'error',
    explanation: `A block has a key it does not know. Unknown keys are never ignored: a misspelt key would otherwise
train with a default the author did not mean. The message suggests the closest known key, names the block
the key belongs in, or lists the keys the block accepts (docs/language.md has a table per block).

    stage e2e : end_to_end { learning_rate = 5e-4 }    // error: did you mean \`lr\`?`,
  },
  MHK0103: {
    title: 'duplicate key',
    severity: 'error',
    explanation: `A key appears twice in one block. The first one is shown as a secondary label; delete one of them.`,
  },
  MHK0104: {
    title: 'duplicate block',
    severity: 'error',
    explanation: `A spec has exactly one \`teacher\`, one \`student\`, at most one \`defaults\`, \`kernels\` and \`eval\`
block, and \`data\` and \`stage\` blocks with distinct names. This block repeats one of them.`,
  },
  MHK0105: {
    title: 'unresolved reference',
    severity: 'error',
    explanation: `A name that should refer to a stage (\`after = ...\`) or a data source (\`data = ...\`, a \`mix(...)\`
part) matches none. The message suggests the closest declared name.

    data train { path = "tinystories/train.txt" }
    stage e2e : end_to_end { data = trian }    // error: did you mean \`train\`?`,
  },
  MHK0106: {
    title: 'unknown name',
    severity: 'error',
    explanation: `A value must be one of a closed set of names (a mixer, a loss, a schedule, a protocol, a dtype, a
layer kind, a parameter group ...) and this one is not in the set. The message lists the accepted names and
suggests the closest.

    init = from_atention    // error: did you mean \`from_attention\`?`,
  },
  MHK0107: {
    title: 'unknown argument',
    severity: 'error',
    explanation: `A constructor call has an argument name it does not take. The message lists the accepted arguments.

    mixer = discrete_mamba2(dstate: 8)     // error: did you mean \`d_state\`?`,
  },
  MHK0108: {
    title: 'block name missing or not allowed',
    severity: 'error',
    explanation: `\`teacher\`, \`student\`, \`data\` and \`stage\` blocks need a name (\`teacher stories260k { }\`);
\`defaults\` and \`eval\` take none; \`kernels\` takes an optional name. Only \`stage\` blocks take a kind
after a colon (\`stage orient : matrix_orientation { }\`), and a stage needs one.`,
  },
  MHK0109: {
    title: 'missing block',
    severity: 'error',
    explanation: `A spec needs a \`teacher\` block (what to distil), a \`student\` block (into what) and at least one
\`stage\` block (how). The defaults of edition 0.1 fill in everything else.`,
  },
  MHK0110: {
    title: 'unknown attribute',
    severity: 'error',
    explanation: `Attributes (\`@name\`) modify a value. Edition 0.1 knows one: \`@frozen\` on a kept attention layer
(\`attention @frozen\` in a layout, or an index in \`attention_layers\`).`,
  },
  MHK0111: {
    title: 'unknown member',
    severity: 'error',
    explanation: `A dotted reference names a member that does not exist. A student has \`ssm_layers\`,
\`attention_layers\` and \`all_layers\`; write them as \`<student name>.ssm_layers\` or \`student.ssm_layers\`.

    layers = llamba.ssm_layer     // error: did you mean \`ssm_layers\`?`,
  },
  MHK0112: {
    title: 'missing required key',
    severity: 'error',
    explanation: `A block lacks a key that has no default: a teacher needs \`checkpoint\`; a stage needs \`tokens\`
(budgets are part of a recipe, not a default); a llama2.c teacher needs \`tokenizer\` (its checkpoint has
none); a \`text\` data source needs \`path\`.`,
  },
  MHK0113: {
    title: 'duplicate argument',
    severity: 'error',
    explanation: `A call names the same argument twice. Delete one of them.`,
  },
  MHK0114: {
    title: 'conflicting keys',
    severity: 'error',
    explanation: `Two keys set the same thing in different ways: \`layout\` and \`attention_layers\` in a student,
\`batch\` and \`batch_tokens\` in a stage. Keep one of them.`,
  },

  // ── 02xx: types and units ────────────────────────────────────────────────────────────────────────────
  MHK0201: {
    title: 'type mismatch',
    severity: 'error',
    explanation: `A value has the wrong type for its key: a string where a number is expected, a list where a name is
expected, and so on. The message names the expected type and what was found.

    lr = "1e-3"     // error: expected a number, found a string
    lr = 1e-3       // ok`,
  },
  MHK0202: {
    title: 'not an integer',
    severity: 'error',
    explanation: `Counts (token budgets, layer indices, head counts, dimensions) are whole numbers.
\`2.5\` tokens is meaningless; \`2.5M\` is fine because it is 2,500,000.

    heads = 7.5     // error`,
  },
  MHK0203: {
    title: 'unit mismatch',
    severity: 'error',
    explanation: `A count suffix (\`K M B Ki Mi Gi\`) makes a number a count of things (tokens, sequences); a percent
sign makes it a fraction. Neither fits a key of another unit: a learning rate is a plain number, a
fraction cannot be a count.

    lr = 1K          // error: a count is not a learning rate
    warmup = 5%      // ok: 0.05`,
  },
  MHK0204: {
    title: 'attribute not allowed here',
    severity: 'error',
    explanation: `An attribute is attached to a value that cannot carry it, e.g. \`ssm @frozen\` (SSM layers are what the
stages train) or \`lr = 1e-3 @frozen\`. \`@frozen\` goes on kept attention layers only.`,
  },
  MHK0205: {
    title: 'positional argument not allowed',
    severity: 'error',
    explanation: `Constructor arguments are named (\`soft_ce(temperature: 2)\`). A few constructors take their
first argument by position (\`cuda(90)\`, \`text("path")\`); the others need every argument named, and none
takes more than one positional argument.`,
  },
  MHK0206: {
    title: 'bad range',
    severity: 'error',
    explanation: `Ranges (\`0..4\` = 0, 1, 2, 3; \`0..=4\` = 0 to 4) are made of two integer literals and are allowed
only where a list of layer indices is expected.`,
  },

  // ── 03xx: values and ranges ──────────────────────────────────────────────────────────────────────────
  MHK0301: {
    title: 'token budget must be positive',
    severity: 'error',
    explanation: `A stage's \`tokens\` is the number of training tokens it consumes; it must be a positive count.
To skip a stage, delete the stage block.`,
  },
  MHK0302: {
    title: 'learning rate out of range',
    severity: 'error',
    explanation: `Learning rates must lie in (0, 1]. MOHAWK's recipes use 1e-5 to 1e-3.`,
  },
  MHK0303: {
    title: 'fraction out of range',
    severity: 'error',
    explanation: `Fractions (warm-up and decay shares of a schedule, Adam betas, top_p, min_lr_ratio) lie in [0, 1]
(top_p and the betas in (0, 1)); the warm-up and decay shares of one schedule add up to at most 1.`,
  },
  MHK0304: {
    title: 'value must be positive',
    severity: 'error',
    explanation: `Sizes (d_state, heads, head_dim, groups, chunk, conv, seq_len, batch, micro_batch), temperatures,
Adam's eps and the gradient clip must be greater than zero. Weight decay, seeds and hard-label weights
must not be negative.`,
  },
  MHK0305: {
    title: 'batch does not divide',
    severity: 'error',
    explanation: `A batch of \`batch_tokens\` tokens is made of sequences of \`seq_len\` tokens, run \`micro_batch\`
sequences per forward pass with gradient accumulation in between. So \`batch_tokens\` must be a multiple of
\`seq_len\`, and the number of sequences per batch a multiple of \`micro_batch\`.

    batch_tokens = 16K, seq_len = 256       // error: 16,000 is not a multiple of 256
    batch = 64, seq_len = 256               // ok: 16,384 tokens`,
  },
  MHK0306: {
    title: 'sequence longer than the teacher',
    severity: 'error',
    explanation: `\`seq_len\` exceeds the teacher's context length from its checkpoint header. The teacher's positions
beyond it are untrained, so its outputs there are not worth distilling.`,
  },
  MHK0307: {
    title: 'layer index out of range',
    severity: 'error',
    explanation: `A layer index is negative or not smaller than the number of layers (indices are 0-based).`,
  },
  MHK0308: {
    title: 'empty range',
    severity: 'error',
    explanation: `A range selects no layer: \`3..3\` and \`4..2\` are empty. \`a..b\` is a ≤ i < b; \`a..=b\` is a ≤ i ≤ b.`,
  },
  MHK0309: {
    title: 'chunk must be a power of two',
    severity: 'error',
    explanation: `The SSD chunk length Q of a mixer must be a power of two between 1 and 1024: the generated kernels
tile the sequence by Q and reduce over it in log2(Q) steps.`,
  },
  MHK0310: {
    title: 'budget smaller than one batch',
    severity: 'error',
    explanation: `A stage's \`tokens\` budget is smaller than one batch (\`batch_tokens\`), so it would not complete a
single optimiser step. Raise the budget or shrink the batch.`,
  },
  MHK0311: {
    title: 'learning rate unusually high',
    severity: 'warning',
    explanation: `A learning rate above 0.1 is almost certainly a typo for AdamW (MOHAWK's recipes use 1e-5 to 1e-3).`,
  },
  MHK0312: {
    title: 'duplicate layer',
    severity: 'warning',
    explanation: `A layer index is listed twice; the duplicate has no effect.`,
  },
  MHK0313: {
    title: 'bad mix weight',
    severity: 'error',
    explanation: `The parts of \`mix(...)\` are weighted by positive numbers (they are normalised to sum to 1).`,
  },

  // ── 04xx: shape algebra ──────────────────────────────────────────────────────────────────────────────
  MHK0401: {
    title: 'heads × head_dim ≠ expand × d_model',
    severity: 'error',
    explanation: `A Mamba mixer's value width is d_inner = expand · d_model = heads · head_dim (H · P). The numbers given
do not multiply out. Omit \`head_dim\` to derive it, or change \`heads\`/\`expand\`.

    // teacher d_model 64
    mixer = discrete_mamba2(heads: 8, head_dim: 16)    // error: 8 × 16 = 128 ≠ 1 × 64`,
  },
  MHK0402: {
    title: 'groups do not divide heads',
    severity: 'error',
    explanation: `B and C come in G groups (n_qk_heads) shared by H/G value heads each, so G must divide H.`,
  },
  MHK0403: {
    title: 'kv heads do not divide heads',
    severity: 'error',
    explanation: `In a GQA-style mixer (\`kv_heads\`), x and B have kv_heads heads repeated to all H heads, so
kv_heads must divide heads. The same holds for a teacher's declared \`kv_heads\`.`,
  },
  MHK0404: {
    title: 'layout length ≠ teacher layers',
    severity: 'error',
    explanation: `The student keeps the teacher's block structure: one layout entry per teacher layer. The teacher's
layer count comes from its checkpoint header.

    // teacher has 5 layers
    layout = [ssm, ssm, ssm, ssm]    // error: 4 entries`,
  },
  MHK0405: {
    title: 'cannot initialise from attention',
    severity: 'error',
    explanation: `\`init = from_attention\` copies the teacher's attention weights into the mixer: C ← W_Q (G·N rows),
B ← W_K (repeated to G·N rows), x ← W_V (repeated to d_inner rows), out ← W_O. That needs
G · N = teacher heads · teacher head_dim and d_inner = teacher heads · teacher head_dim. Use
\`init = random\`, or d_state = the teacher's head_dim with groups = heads = the teacher's heads.`,
  },
  MHK0406: {
    title: 'attention layer does not exist',
    severity: 'error',
    explanation: `A hybrid keeps some teacher attention layers; \`attention_layers\` names one the teacher does not have
(indices are 0-based, below the teacher's layer count).`,
  },
  MHK0407: {
    title: 'no SSM layer',
    severity: 'error',
    explanation: `The student layout keeps attention in every layer, so there is nothing to distil. At least one layer
must be \`ssm\`.`,
  },
  MHK0408: {
    title: 'orientation needs matching heads',
    severity: 'error',
    explanation: `Matrix orientation matches student head h's mixing matrix to teacher head h's attention matrix, so the
student's mixer needs as many heads as the teacher has attention heads.`,
  },
  MHK0409: {
    title: 'head_dim cannot be derived',
    severity: 'error',
    explanation: `\`head_dim\` was left out, so it is derived as expand · d_model / heads; that is not a whole number here.
Give \`head_dim\` explicitly or pick \`heads\` dividing expand · d_model.`,
  },
  MHK0410: {
    title: 'chunk longer than the sequence',
    severity: 'warning',
    explanation: `The mixer's chunk length exceeds a stage's \`seq_len\`: every sequence fits one chunk, so the chunked
kernel degenerates to the quadratic form. Lower \`chunk\` (a power of two ≤ seq_len).`,
  },

  // ── 05xx: stages ─────────────────────────────────────────────────────────────────────────────────────
  MHK0501: {
    title: 'unknown stage kind',
    severity: 'error',
    explanation: `Stage kinds are MOHAWK's three: \`matrix_orientation\` (stage 1: mixing matrices vs attention
matrices), \`hidden_state_alignment\` (stage 2: block outputs with teacher inputs) and \`end_to_end\`
(stage 3: the whole student against the teacher's logits).`,
  },
  MHK0502: {
    title: '`after` must name an earlier stage',
    severity: 'error',
    explanation: `Stages run in file order; \`after\` documents and checks that order. It must name a stage declared
above this one (not this stage, not a later one).`,
  },
  MHK0503: {
    title: 'orientation on an attention layer',
    severity: 'error',
    explanation: `Matrix orientation trains SSM mixers to mimic attention; a kept attention layer already is the
teacher's attention. Orientation \`layers\` may name SSM layers only (the default is all of them).`,
  },
  MHK0504: {
    title: 'loss does not fit the stage kind',
    severity: 'error',
    explanation: `Each stage kind has its own objective: matrix_orientation uses \`frobenius\`;
hidden_state_alignment uses \`l2\` (with \`target: block\` or \`target: mixer\`); end_to_end uses \`soft_ce\`
or \`kl\` (with \`temperature\` and \`hard_label_weight\`).`,
  },
  MHK0505: {
    title: 'stages out of method order',
    severity: 'warning',
    explanation: `MOHAWK's stages build on each other: orientation, then alignment, then end-to-end distillation. A
stage of an earlier kind after a later one is legal but unusual (its result is overwritten in spirit by
what follows).`,
  },
  MHK0506: {
    title: 'stage trains nothing',
    severity: 'error',
    explanation: `The stage selects no layer, or its \`freeze\` list freezes every parameter group the stage would
train.`,
  },
  MHK0507: {
    title: 'setting not valid for this stage kind',
    severity: 'error',
    explanation: `\`layers\` selects the layers that stage 1 or 2 trains layer by layer; an end_to_end stage trains the
whole student (use \`freeze\` to hold parameter groups fixed).`,
  },
  MHK0508: {
    title: 'stage trains a frozen layer',
    severity: 'error',
    explanation: `A stage's \`layers\` names an attention layer marked \`@frozen\`. Frozen attention layers never
train; remove the index or the attribute.`,
  },

  // ── 06xx: data ───────────────────────────────────────────────────────────────────────────────────────
  MHK0601: {
    title: 'which data source?',
    severity: 'error',
    explanation: `The spec declares several data sources and a stage names none (neither itself nor through
\`defaults\`). Add \`data = NAME\` to the stage or to \`defaults\`.`,
  },
  MHK0602: {
    title: 'bad mix',
    severity: 'error',
    explanation: `A \`mix(...)\` combines other, non-mix sources by weight: it cannot name itself or another mix.`,
  },
  MHK0603: {
    title: 'protocol does not fit',
    severity: 'error',
    explanation: `Text sources cut text into sequences by \`lines\` (each non-empty line with BOS, concatenated — the
reference recipe), \`paragraphs\` (split on blank lines, BOS per paragraph) or \`windows\` (fixed windows of
the whole text). Teacher samples and mixes have no protocol; evaluation uses \`paragraphs\` or
\`windows\`.`,
  },
  MHK0604: {
    title: 'unused data source',
    severity: 'warning',
    explanation: `A data source is declared but no stage uses it (directly, through defaults or through a mix).`,
  },
  MHK0605: {
    title: 'path does not fit the source',
    severity: 'error',
    explanation: `A \`text\` source reads a file, given by \`text("path")\`; teacher samples and mixes have no file.
Paths are relative to the data directory (\`--data\`, $MOHAWK_DATA, ../shared/data, ~/.cache/mohawk/data),
or to the spec's folder when they start with \`./\` or \`../\`.`,
  },

  // ── 07xx: kernels ────────────────────────────────────────────────────────────────────────────────────
  MHK0701: {
    title: 'WGSL has no bf16',
    severity: 'error',
    explanation: `WGSL has no bfloat16 type, so a bf16 kernel variant cannot target WGSL. Restrict the shape to CUDA
(\`targets: [cuda]\` in the \`shape(...)\`), or use f32/f16 for WGSL. (The compiler does not drop the
combination silently: the spec should say what it gets.)`,
  },
  MHK0702: {
    title: 'student shape not covered by kernels',
    severity: 'error',
    explanation: `Every SSM mixer shape of the student (d_state, head_dim, heads, groups, chunk, dtype) needs kernel
variants on at least one target. The \`kernels\` block turned off the per-student default
(\`from_student = false\`) and none of its \`shapes\` matches, or no target supports the student's dtype.`,
  },
  MHK0703: {
    title: 'unsupported CUDA architecture',
    severity: 'error',
    explanation: `\`cuda(sm: N)\` takes a compute capability × 10 the CUDA templates support: 80 (A100), 86, 89, 90 (H100,
H200), 100, 120.`,
  },
  MHK0704: {
    title: 'duplicate kernel shape',
    severity: 'warning',
    explanation: `A \`shape(...)\` in the kernels block repeats another one, or one the student already gets by
default. The duplicate has no effect.`,
  },
  MHK0705: {
    title: 'no kernel target',
    severity: 'error',
    explanation: `\`targets\` is empty, or a shape's \`targets\` names a target the block does not list.`,
  },
  MHK0706: {
    title: 'f16 WGSL needs shader-f16',
    severity: 'warning',
    explanation: `f16 WGSL variants need the adapter feature \`shader-f16\` (Mesa's lavapipe has it; some GPUs' Dawn
adapters do not). Where it is missing, the runtime falls back to the f32 variant.`,
  },

  // ── 08xx: teacher header ─────────────────────────────────────────────────────────────────────────────
  MHK0801: {
    title: 'declared value disagrees with the checkpoint',
    severity: 'error',
    explanation: `The teacher block declares an architecture value (\`layers\`, \`d_model\`, \`heads\`, ...) that differs
from the checkpoint's header. The checker reads the architecture from the header (llama2.c \`.bin\`, HF
\`config.json\`, GGUF metadata); declarations are assertions and must agree. The diagnostic points at the
declaration and at the checkpoint path.`,
  },
  MHK0802: {
    title: 'checkpoint format',
    severity: 'error',
    explanation: `The checkpoint format cannot be inferred from the path (\`.bin\` = llama2.c, \`.gguf\` = GGUF, a folder
or \`config.json\` = Hugging Face), or the declared \`format\` contradicts it.`,
  },
  MHK0803: {
    title: 'malformed checkpoint header',
    severity: 'error',
    io: true,
    explanation: `The teacher's checkpoint exists but its header cannot be read: the message names the file and what is
wrong (truncated, sizes that contradict the header, unknown model type). The CLI exits with code 2.`,
  },

  // ── 09xx: files ──────────────────────────────────────────────────────────────────────────────────────
  MHK0901: {
    title: 'file not found',
    severity: 'error',
    io: true,
    explanation: `A file the spec names (teacher checkpoint, tokenizer, data text, evaluation text) does not exist.
Paths are relative to the data directory, which is \`--data DIR\`, else $MOHAWK_DATA, else ../shared/data
beside the repository, else ~/.cache/mohawk/data (\`npx mohawkc data download\` fills it); paths starting
with \`./\` or \`../\` are relative to the spec's folder. The CLI exits with code 2.`,
  },
  MHK0902: {
    title: 'cannot read the spec',
    severity: 'error',
    io: true,
    explanation: `The spec file itself cannot be read (missing, a directory, no permission). The CLI exits with code 2.`,
  },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

export function isCode(s: string): s is Code {
  return Object.prototype.hasOwnProperty.call(CODES, s);
}

export function codeInfo(code: Code): CodeInfo {
  return CODES[code];
}
