import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TestRepo {
  dir: string;
  /** Runs git in the repo and returns trimmed stdout. */
  git(...args: string[]): string;
  /** Writes files (creating folders); a `null` content deletes the file. */
  write(files: Record<string, string | Buffer | null>): void;
  /** Stages everything and commits; returns the new sha. */
  commit(message: string): string;
  remove(): void;
}

/** A real git repository in a temp dir, on branch `main`, with one commit holding `files`. */
export function makeRepo(files: Record<string, string | Buffer | null> = { 'README.md': '# test\n' }): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'loom-repo-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null' },
    }).trim();
  const repo: TestRepo = {
    dir,
    git,
    write(next) {
      for (const [path, content] of Object.entries(next)) {
        const full = join(dir, path);
        if (content === null) {
          rmSync(full, { force: true });
          continue;
        }
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    },
    commit(message) {
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'Test');
  git('config', 'commit.gpgsign', 'false');
  repo.write(files);
  repo.commit('initial');
  return repo;
}
