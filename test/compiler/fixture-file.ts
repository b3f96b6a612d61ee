/**
 * Golden diagnostic fixtures (prisma-engines style): a spec followed by a trailing comment block with the
 * hand-written expectation (`// MHK0404 @ 11:12`, one line per diagnostic in position order) and the rendered
 * output, which `UPDATE_FIXTURES=1 npx vitest run test/compiler` re-blesses. Only the rendered part is
 * ever rewritten; the expected codes and positions are the author's.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const EXPECTED_MARK = '\n// ---- expected ----\n';
export const RENDERED_MARK = '// ---- rendered ----\n';

export interface Fixture {
  body: Buffer;
  note: string;
  expected: string[];
  rendered?: string;
}

export function readFixture(path: string): Fixture {
  const bytes = readFileSync(path);
  const at = bytes.indexOf(Buffer.from(EXPECTED_MARK));
  if (at < 0) throw new Error(`${path}: no "${EXPECTED_MARK.trim()}" block`);
  const tail = bytes.subarray(at + EXPECTED_MARK.length).toString('utf8');
  const [head, rendered] = tail.split(RENDERED_MARK);
  const lines = head.split('\n').filter((l) => l.startsWith('//'));
  const expected = lines.filter((l) => /^\/\/ MHK\d{4} @ \d+:\d+$/.test(l)).map((l) => l.slice(3));
  const note = lines.filter((l) => !/^\/\/ MHK\d{4} @/.test(l)).map((l) => l.slice(3)).join(' ');
  return {
    body: bytes.subarray(0, at),
    note,
    expected,
    rendered: rendered === undefined ? undefined : rendered.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === '')).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'),
  };
}

export function writeRendered(path: string, fx: Fixture, rendered: string): void {
  const head = `${EXPECTED_MARK}// ${fx.note}\n${fx.expected.map((e) => `// ${e}\n`).join('')}`;
  const block = rendered.split('\n').map((l) => (l ? `// ${l}` : '//')).join('\n');
  writeFileSync(path, Buffer.concat([fx.body, Buffer.from(`${head}${RENDERED_MARK}${block}\n`)]));
}
