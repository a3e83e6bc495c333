import { appendFile } from 'node:fs/promises';
import type { DiffIndex } from '../findings/diff-index.ts';
import type { Logger } from '../log.ts';
import { PlatformHttpError } from '../platforms/http.ts';
import { publishReport } from '../platforms/publish.ts';
import type { CiContext, Platform } from '../platforms/types.ts';
import { formats } from '../report/formats/index.ts';
import type { Report } from '../report/report.ts';

export interface PostDeps {
  env: Record<string, string | undefined>;
  log: Logger;
  target?: { ci: CiContext; createPlatform: (ci: CiContext) => Promise<Platform> };
}

export async function connectPlatform(deps: PostDeps): Promise<Platform | undefined> {
  const target = deps.target;
  if (!target) return undefined;
  if (target.ci.prNumber === undefined) {
    deps.log.warn(`found a ${target.ci.ci} pull request build but not its number (is GITHUB_EVENT_PATH readable?); the report is printed to the log instead.`);
    return undefined;
  }
  if (!target.ci.token) {
    deps.log.warn(
      `no token to post to ${target.ci.platform} with: set ${target.ci.tokenVar ?? 'the platform token'} in the CI job. ` +
        'The report is printed to the log instead.',
    );
    return undefined;
  }
  deps.log.addSecret(target.ci.token);
  return target.createPlatform(target.ci);
}

export function warnAndSkip(log: Logger, what: string, error: unknown): undefined {
  log.warn(`${what}: ${log.redact(error instanceof Error ? error.message : String(error))}`);
  return undefined;
}

const PERMISSION_ADVICE: Record<string, string> = {
  github: 'give the job `permissions: pull-requests: write`; pull requests from forks get a read-only GITHUB_TOKEN (see ci-examples/github-actions.yml)',
  gitlab: 'CI_JOB_TOKEN cannot post: store a project access token with the api scope (Reporter or higher) as the masked variable LOOM_GITLAB_TOKEN',
  azure: 'map `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` in the step env and allow the build service "Contribute to pull requests" on the repository',
  bitbucket: 'set LOOM_BITBUCKET_TOKEN to a repository access token with the "Pull requests: Write" scope',
  gitea: 'give the workflow `permissions: pull-requests: write` or set GITEA_TOKEN to a token that can comment; fork pull requests get a read-only token',
};

/** Posts the report. A refusal never loses it: it is already on stdout, and goes to the step summary too. */
export async function post(report: Report, platform: Platform, ctx: { index: DiffIndex; headSha: string; deps: PostDeps }): Promise<'ok' | 'refused' | 'failed'> {
  const { log } = ctx.deps;
  try {
    const outcome = await publishReport(report, platform, { index: ctx.index, headSha: ctx.headSha, log });
    log.info(
      `posted to ${platform.id}: ${outcome.posted} new inline comment(s), ${outcome.alreadyPosted} already there, ` +
        `${outcome.inSummary} in the summary${outcome.resolved ? `, ${outcome.resolved} resolved` : ''}`,
    );
    return 'ok';
  } catch (error) {
    const message = log.redact(error instanceof Error ? error.message : String(error));
    await writeStepSummary(report, ctx.deps);
    if (error instanceof PlatformHttpError && [401, 403, 404].includes(error.status)) {
      // Adapters that know the fix put it in the message already; say it once, after the API's own words.
      const [detail, fix] = message.split(/\.? To fix: /, 2);
      log.warn(`${platform.id} refused to take the review (${detail}). To fix: ${fix ?? PERMISSION_ADVICE[platform.id]}. The full report is printed above.`);
      return 'refused';
    }
    log.error(`posting to ${platform.id} failed: ${message}. The full report is printed above.`);
    return 'failed';
  }
}

export async function writeStepSummary(report: Report, deps: PostDeps): Promise<void> {
  const path = deps.env.GITHUB_STEP_SUMMARY;
  if (!path) return;
  await appendFile(path, formats.markdown(report)).catch(() => undefined);
}

