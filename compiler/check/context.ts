/**
 * What every check function gets: the diagnostic sink, the source (for positions), the spec's options and the
 * defaults of the spec's edition (every default is read from here, so an older spec keeps its meaning).
 */
import type { Block, Entry, Span } from '../../grammar/ast.ts';
import type { SourceText } from '../../grammar/source.ts';
import type { Code } from '../diagnostics/codes.ts';
import type { DiagnosticOptions, DiagnosticSink } from '../diagnostics/diagnostic.ts';
import type { EditionDefaults } from './defaults.ts';
import { suggest } from '../util/suggest.ts';
import { BLOCK_KEYS, type BlockKind } from './keys.ts';

export interface CheckOptions {
  /** The data directory (--data); otherwise $MOHAWK_DATA, ../shared/data, ~/.cache/mohawk/data. */
  dataDir?: string;
  /** Folder of the spec file, for `./` and `../` paths. */
  specDir: string;
}

export class Ctx {
  constructor(
    readonly sink: DiagnosticSink,
    readonly source: SourceText,
    readonly opts: CheckOptions,
    readonly defaults: EditionDefaults,
  ) {}

  error(code: Code, span: Span | undefined, message: string, opts?: DiagnosticOptions): void {
    this.sink.report(code, span, message, opts);
  }

  line(span: Span): number {
    return this.source.position(span.start).line;
  }

  /**
   * The entries of a block by key. Unknown keys (MHK0102, with a suggestion or the block they belong to) and
   * duplicates (MHK0103) are reported here, so no key is ever silently ignored.
   */
  settings(block: Block, kind: BlockKind, allowed: readonly string[] = BLOCK_KEYS[kind]): Map<string, Entry> {
    const out = new Map<string, Entry>();
    for (const e of block.entries) {
      const key = e.key.text;
      if (!allowed.includes(key)) {
        this.unknownKey(e, kind, allowed);
        continue;
      }
      const first = out.get(key);
      if (first) {
        this.error('MHK0103', e.key.span, `\`${key}\` is set twice in this block`, { label: 'second value', secondary: [{ span: first.key.span, message: 'first set here' }], help: 'delete one of them' });
        continue;
      }
      out.set(key, e);
    }
    return out;
  }

  private unknownKey(e: Entry, kind: BlockKind, allowed: readonly string[]): void {
    const key = e.key.text;
    const near = suggest(key, allowed);
    const home = (Object.keys(BLOCK_KEYS) as BlockKind[]).filter((k) => k !== kind && BLOCK_KEYS[k].includes(key));
    const where = kind === 'stage' ? 'stage blocks' : `a \`${kind}\` block`;
    let help: string;
    if (near) help = `did you mean \`${near}\`?`;
    else if (home.length) help = `\`${key}\` belongs in ${home.map((h) => `a \`${h}\` block`).join(' or ')}`;
    else help = `${where} accept${kind === 'stage' ? '' : 's'}: ${allowed.map((k) => `\`${k}\``).join(', ')}`;
    if (near && home.length) help += ` (\`${key}\` itself belongs in ${home.map((h) => `a \`${h}\` block`).join(' or ')})`;
    this.error('MHK0102', e.key.span, `unknown key \`${key}\` in ${where}`, { label: 'unknown key', help });
  }
}
