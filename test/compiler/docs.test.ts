/** docs/language.md documents every diagnostic code (its generated section is current) and every block key. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BLOCK_KEYS } from '../../compiler/check/keys.ts';
import { CODES } from '../../compiler/diagnostics/codes.ts';
import { DOC_FILE, codesMarkdown, withCodes } from '../../compiler/diagnostics/docs.ts';

const doc = readFileSync(DOC_FILE, 'utf8');

describe('docs/language.md', () => {
  it('has the current generated code section (npx tsx compiler/diagnostics/docs.ts --write)', () => {
    expect(withCodes(doc)).toBe(doc);
    for (const code of Object.keys(CODES)) expect(codesMarkdown()).toContain(`#### ${code} — `);
  });

  it('mentions every key of every block', () => {
    const blockSection = doc.slice(doc.indexOf('## 5. Blocks'), doc.indexOf('## 6.'));
    for (const [kind, keys] of Object.entries(BLOCK_KEYS)) for (const key of keys) expect(blockSection, `${kind}.${key}`).toContain(`\`${key}\``);
  });

  it('refers to every code at least once outside the generated section too, or lists it there', () => {
    const prose = doc.slice(0, doc.indexOf('## 12.'));
    const unmentioned = Object.keys(CODES).filter((c) => !prose.includes(c));
    // Codes the prose does not name explicitly must at least be in the generated list (checked above).
    expect(unmentioned.length).toBeLessThan(Object.keys(CODES).length / 2);
  });
});
