import type { DiffLine, FileDiff, Hunk } from '../diff/types.ts';
import { PRIVATE_KEY_BEGIN, PRIVATE_KEY_END, SECRET_HINT, SECRET_PATTERNS } from './secret-patterns.ts';

export interface SecretHit {
  path: string;
  /** New-side line of the added line. */
  line: number;
  endLine?: number;
  patternId: string;
  label: string;
}

export const MASK = (patternId: string) => `[loom:masked ${patternId}]`;

/**
 * Finds secrets in added lines and returns copies of the files with every secret (and every line of a private
 * key block) masked, so what reaches a model never contains them. Context and removed lines are masked too:
 * a key that is being removed is still a key.
 */
export function scanAndMaskSecrets(files: readonly FileDiff[]): { hits: SecretHit[]; masked: FileDiff[]; maskedCount: number } {
  const hits: SecretHit[] = [];
  let maskedCount = 0;
  const masked = files.map((file) => {
    // The parser found none of the hint's text in the whole section (ParseOptions.secretHint).
    if (file.binary || file.mayHoldSecret === false) return file;
    let inKey: SecretHit | undefined;
    // Hunks and lines are copied only where something is masked: most files come back as they were.
    let hunks: Hunk[] | undefined;
    file.hunks.forEach((hunk, h) => {
      let lines: DiffLine[] | undefined;
      hunk.lines.forEach((line, l) => {
        const text = line.text;
        let out = text;
        // Tested once: on a large diff this one regex is most of the scan.
        const hinted = !inKey && SECRET_HINT.test(text);
        if (inKey || (hinted && PRIVATE_KEY_BEGIN.test(text))) {
          if (!inKey && line.kind === 'add' && line.newLine !== undefined) {
            inKey = { path: file.path, line: line.newLine, patternId: 'private-key', label: 'private key' };
            hits.push(inKey);
          } else if (!inKey) {
            inKey = { path: file.path, line: 0, patternId: 'private-key', label: 'private key' };
          }
          if (inKey.line > 0 && line.newLine !== undefined && line.kind === 'add') inKey.endLine = line.newLine;
          if (PRIVATE_KEY_END.test(text)) inKey = undefined;
          maskedCount++;
          out = MASK('private-key');
        } else if (hinted) {
          for (const pattern of SECRET_PATTERNS) {
            pattern.regex.lastIndex = 0;
            if (!pattern.regex.test(out)) continue;
            pattern.regex.lastIndex = 0;
            out = out.replace(pattern.regex, () => {
              maskedCount++;
              return MASK(pattern.id);
            });
            if (line.kind === 'add' && line.newLine !== undefined) {
              hits.push({ path: file.path, line: line.newLine, patternId: pattern.id, label: pattern.label });
            }
          }
        }
        if (out === text && !lines) return;
        lines ??= hunk.lines.slice(0, l);
        lines.push(out === text ? line : { ...line, text: out });
      });
      if (!lines) return;
      hunks ??= [...file.hunks];
      hunks[h] = { ...hunk, lines };
    });
    return hunks ? { ...file, hunks } : file;
  });
  return { hits, masked, maskedCount };
}
