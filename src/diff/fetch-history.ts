import type { Logger } from '../log.ts';
import { isShallow, tryGit } from './git.ts';

export interface HistoryFetch {
  root: string;
  /** Branch on origin to fetch as the base (`main`), when the base is a branch. */
  baseBranch?: string;
  /** A full sha to fetch as the base, when the base is a commit that is not present. */
  baseSha?: string;
  /** The head commit: deepening must start from its shallow boundary, so it is one of the fetch's wants. */
  headSha: string;
  /** The base is not present locally at all (so a depth-limited fetch cannot cut history we had). */
  baseMissing: boolean;
  log: Logger;
  /** Re-checks after each fetch; true stops fetching. */
  found: () => Promise<boolean>;
}

// Relative deepening steps: most branches fork within the last 50 commits, a few need the rest of history.
const DEEPEN_STEPS = [50, 200, 1000] as const;
// In a shallow clone, fetch only this much of the base branch at first instead of its whole history.
const SHALLOW_BASE_DEPTH = 50;

const baseWants = (plan: HistoryFetch): string[] => {
  if (plan.baseBranch) return [`+refs/heads/${plan.baseBranch}:refs/remotes/origin/${plan.baseBranch}`];
  return plan.baseSha ? [plan.baseSha] : [];
};

async function fetch(plan: HistoryFetch, options: string[], wants: string[]): Promise<boolean> {
  const args = ['fetch', '--no-tags', '--quiet', ...options, 'origin', ...wants];
  plan.log.debug(`git ${args.join(' ')}`);
  const result = await tryGit(plan.root, args);
  if (!result.ok) plan.log.debug(`git fetch failed (exit ${result.exitCode}): ${result.stderr}`);
  return result.ok;
}

/**
 * Deepen with the head sha among the wants (so the head's shallow boundary moves too); servers that
 * refuse a sha that is not a branch tip get a second try with the base alone.
 */
async function fetchWithHead(plan: HistoryFetch, options: string[]): Promise<void> {
  const wants = baseWants(plan);
  if (await fetch(plan, options, [...wants, plan.headSha])) return;
  if (wants.length > 0) await fetch(plan, options, wants);
}

/**
 * Fetches from origin until `found()` says the merge base is there: the base branch, then deeper
 * history in steps, then all of it. Returns whether it was found. Stops deepening once the clone is
 * complete, since more fetching cannot help then (unrelated histories).
 */
export async function fetchUntilFound(plan: HistoryFetch): Promise<boolean> {
  const { log } = plan;
  const wants = baseWants(plan);
  if (wants.length > 0) {
    // A full fetch of a long base branch into a shallow clone can be gigabytes; start at 50 commits and
    // deepen. Only when the base is absent: --depth on a ref we already have could cut its history.
    const limited = plan.baseMissing && (await isShallow(plan.root));
    log.info(`fetching ${plan.baseBranch ? `origin/${plan.baseBranch}` : plan.baseSha}${limited ? ` (last ${SHALLOW_BASE_DEPTH} commits)` : ''}`);
    await fetch(plan, limited ? [`--depth=${SHALLOW_BASE_DEPTH}`] : [], wants);
    if (await plan.found()) return true;
  }
  for (const step of DEEPEN_STEPS) {
    if (!(await isShallow(plan.root))) return false;
    log.info(`deepening the shallow clone by ${step} commits (git fetch --deepen=${step})`);
    await fetchWithHead(plan, [`--deepen=${step}`]);
    if (await plan.found()) return true;
  }
  if (!(await isShallow(plan.root))) return false;
  log.info('fetching the complete history (git fetch --unshallow)');
  await fetchWithHead(plan, ['--unshallow']);
  return plan.found();
}
