import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { configJsonSchema } from '../config/json-schema.ts';
import { initTemplatesDir } from '../paths.ts';

export type CiPlatform = 'github' | 'gitlab' | 'azure' | 'bitbucket' | 'unknown';

export interface InitOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  force?: boolean;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Where the starter files live; defaults to the package's templates/init. */
  templatesDir?: string;
}

const PLATFORM_NAMES: Record<CiPlatform, string> = {
  github: 'GitHub Actions',
  gitlab: 'GitLab CI',
  azure: 'Azure Pipelines',
  bitbucket: 'Bitbucket Pipelines',
  unknown: 'no known platform',
};

const SNIPPETS: Record<CiPlatform, string> = {
  github: 'ci/github.yml',
  gitlab: 'ci/gitlab.yml',
  azure: 'ci/azure.yml',
  bitbucket: 'ci/bitbucket.yml',
  unknown: 'ci/generic.txt',
};

function hostOf(remote: string): string | undefined {
  // scp-like syntax (git@host:owner/repo) is not a URL.
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)/.exec(remote);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) return scp[1]?.toLowerCase();
  try {
    return new URL(remote).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The CI platform a repository most likely uses, from its origin URL. */
export function guessPlatform(remote: string | undefined): CiPlatform {
  const host = remote ? hostOf(remote.trim()) : undefined;
  if (!host) return 'unknown';
  if (/(^|\.)github\.com$/.test(host)) return 'github';
  if (host.includes('gitlab')) return 'gitlab';
  if (/(^|\.)dev\.azure\.com$/.test(host) || /(^|\.)visualstudio\.com$/.test(host)) return 'azure';
  if (/(^|\.)bitbucket\.org$/.test(host)) return 'bitbucket';
  return 'unknown';
}

function originUrl(cwd: string): Promise<string | undefined> {
  return new Promise((done) => {
    execFile('git', ['remote', 'get-url', 'origin'], { cwd, encoding: 'utf8' }, (error, stdout) => done(error ? undefined : stdout.trim() || undefined));
  });
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/** Writes `content` unless the file exists (or force); returns whether it was written. */
async function writeStarter(path: string, content: string, force: boolean): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  try {
    // 'wx' makes the existence check and the write one step.
    await writeFile(path, content, { flag: force ? 'w' : 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** `loom init`: starter config, schema and prompts under .loom/, then the CI snippet for the detected platform. */
export async function runInit(opts: InitOptions): Promise<number> {
  const templates = opts.templatesDir ?? initTemplatesDir();
  const force = opts.force ?? false;
  const read = (name: string) => readFile(join(templates, name), 'utf8');
  const files: { path: string; content: () => Promise<string> }[] = [
    { path: '.loom/config.yaml', content: () => read('config.yaml') },
    { path: '.loom/config.schema.json', content: async () => `${JSON.stringify(configJsonSchema(), null, 2)}\n` },
    { path: '.loom/prompts/review.md', content: () => read('prompts/review.md') },
    { path: '.loom/prompts/security.md', content: () => read('prompts/security.md') },
  ];

  const ymlExists = await exists(join(opts.cwd, '.loom/config.yml'));
  const kept: string[] = [];
  for (const file of files) {
    // An existing config.yml is the config; a new config.yaml next to it would silently take its place.
    if (file.path === '.loom/config.yaml' && ymlExists && !force) {
      kept.push('.loom/config.yml');
      continue;
    }
    if (await writeStarter(join(opts.cwd, file.path), await file.content(), force)) opts.stdout(`created ${file.path}\n`);
    else kept.push(file.path);
  }
  for (const path of kept) opts.stdout(`kept ${path} (it already exists; --force overwrites it)\n`);
  if (force && ymlExists) opts.stderr(`warning: .loom/config.yaml now takes precedence over .loom/config.yml; delete the .yml file\n`);

  const platform = guessPlatform(await originUrl(opts.cwd));
  const snippet = await read(SNIPPETS[platform]);
  opts.stdout('\nNext steps:\n');
  if (!opts.env.OPENAI_API_KEY) opts.stdout('- OPENAI_API_KEY is not set in this shell; export it to run `loom review` locally.\n');
  opts.stdout('- Edit .loom/config.yaml and the prompts, then run `loom config check`.\n');
  if (platform === 'unknown') {
    opts.stdout(`- Add loom to CI:\n\n${snippet}`);
  } else {
    opts.stdout(`- Add loom to CI (${PLATFORM_NAMES[platform]}, guessed from the git remote):\n\n${snippet}`);
  }
  return 0;
}
