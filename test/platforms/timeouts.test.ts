import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { LoomError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { installGitHubRequestHook } from '../../src/platforms/github-request.ts';
import { createGitLabRequester } from '../../src/platforms/gitlab-requester.ts';
import { createHttp } from '../../src/platforms/http.ts';

/** A server on 127.0.0.1 that reads every request and never answers it. */
async function silentServer(): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const log = createLogger({ level: 'quiet', write: () => undefined });
const TIMEOUT_MS = 300;
const noWait = async () => undefined;

// A server that accepts a call and never answers must cost the job TIMEOUT_MS, not node's five minutes per attempt,
// and a call that ran out is not sent again (a POST may have created the comment).
describe('a platform API that never answers', () => {
  it.each(['GET', 'POST'])('fails a %s of the shared client (Azure, Bitbucket, Gitea) once its time is up, without retrying', async (method) => {
    const server = await silentServer();
    close = server.close;
    const http = createHttp({ baseUrl: server.url, headers: {}, log, sleep: noWait, timeoutMs: TIMEOUT_MS });

    const error = await http.request(method, '/threads', method === 'POST' ? { body: { text: 'x' } } : {}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LoomError);
    expect((error as LoomError).message).toBe(`${method} /threads: no answer in 0.3 s (is the API at ${server.url} reachable?)`);
    expect(server.requests).toEqual([`${method} /threads`]);
  });

  it('fails a GitHub call once its time is up, without retrying', async () => {
    const server = await silentServer();
    close = server.close;
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const octokit = new Octokit({ baseUrl: server.url, auth: 'ghs_x', log: quiet });
    installGitHubRequestHook(octokit, { log, sleep: noWait, timeoutMs: TIMEOUT_MS });

    const error = await octokit.rest.pulls.get({ owner: 'acme', repo: 'api', pull_number: 42 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LoomError);
    expect((error as LoomError).message).toBe('GET /repos/acme/api/pulls/42: no answer in 0.3 s (is the GitHub API reachable?)');
    expect(server.requests).toEqual(['GET /repos/acme/api/pulls/42']);
  });

  it('fails a GitLab call once its time is up, without retrying', async () => {
    const server = await silentServer();
    close = server.close;
    const requester = createGitLabRequester({ fetch, sleep: noWait, log, timeoutMs: TIMEOUT_MS });
    const service = { url: `${server.url}/api/v4`, headers: {}, authHeaders: {} } as unknown as Parameters<typeof requester>[0];
    const get = (requester(service) as unknown as { get: (endpoint: string) => Promise<unknown> }).get;

    const error = await get('projects/1/merge_requests/2').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LoomError);
    expect((error as LoomError).message).toBe(`GET /api/v4/projects/1/merge_requests/2: no answer in 0.3 s (is GitLab at ${server.url} reachable?)`);
    expect(server.requests).toEqual(['GET /api/v4/projects/1/merge_requests/2']);
  });
});
