import type { LoomConfig } from '../config/schema.ts';
import type { FileDiff } from '../diff/types.ts';
import type { DiffIndex } from '../findings/diff-index.ts';
import { buildFinding } from '../findings/build.ts';
import type { Finding } from '../findings/finding.ts';
import { findConflictMarkers, mayBeMarker } from './conflict-markers.ts';
import { PRIVATE_KEY_END, SECRET_HINT } from './secret-patterns.ts';
import { scanAndMaskSecrets } from './secrets.ts';

export const BUILTIN_PIPELINE = 'builtin';

/**
 * Whether a check below could flag this added line (or end a private key block it flags). A file no model reads
 * keeps only such lines (diff/parse.ts ElideRule), and the checks find in it what they would find in the whole.
 */
export function mayBeFlagged(text: string): boolean {
  return mayBeMarker(text) || SECRET_HINT.test(text) || PRIVATE_KEY_END.test(text);
}

/**
 * The deterministic checks. They run before any model call; the files they return have secrets masked and
 * are the only ones that may be sent to a model.
 */
export function runBuiltinChecks(files: readonly FileDiff[], checks: LoomConfig['checks'], index: DiffIndex): { findings: Finding[]; masked: FileDiff[]; maskedCount: number } {
  const findings: Finding[] = [];
  // Masking happens whatever the config says: turning the report off must not turn the protection off.
  const { hits, masked, maskedCount } = scanAndMaskSecrets(files);
  if (checks.secrets) {
    for (const hit of hits) {
      findings.push(
        buildFinding(
          {
            path: hit.path,
            line: hit.line,
            ...(hit.endLine !== undefined ? { endLine: hit.endLine } : {}),
            side: 'new',
            severity: 'blocker',
            pipeline: BUILTIN_PIPELINE,
            ruleId: `builtin/secret/${hit.patternId}`,
            title: `Possible ${hit.label} committed`,
            body:
              `This line adds what looks like ${/^[AEIOU]/.test(hit.label) ? 'an' : 'a'} ${hit.label}. If it is real, revoke it now: it is in the git history ` +
              'even if this change is reverted. Load it from the environment or a secret store instead. ' +
              '(loom masked it before sending anything to a model.)',
          },
          index,
        ),
      );
    }
  }
  if (checks.conflict_markers) {
    for (const hit of findConflictMarkers(files)) {
      findings.push(
        buildFinding(
          {
            path: hit.path,
            line: hit.line,
            ...(hit.endLine !== undefined ? { endLine: hit.endLine } : {}),
            side: 'new',
            severity: 'blocker',
            pipeline: BUILTIN_PIPELINE,
            ruleId: 'builtin/conflict-marker',
            title: 'Unresolved merge conflict',
            body: 'This change adds merge-conflict markers. Resolve the conflict and remove the `<<<<<<<`, `=======` and `>>>>>>>` lines.',
          },
          index,
        ),
      );
    }
  }
  return { findings, masked, maskedCount };
}
