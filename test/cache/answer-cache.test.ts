import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerKey, createAnswerCache } from '../../src/cache/answer-cache.ts';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';

const parts = { model: 'gpt-4o', baseUrl: 'http://127.0.0.1:1/v1', temperature: 0, system: 'be careful', user: 'the diff' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'loom-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every file under a folder, relative, sorted. */
function tree(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

describe('answerKey', () => {
  it('is a sha256 that changes with every part', () => {
    const key = answerKey(parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(answerKey({ ...parts })).toBe(key);
    const variants = [
      { ...parts, model: 'gpt-4o-mini' },
      { ...parts, baseUrl: 'http://127.0.0.1:2/v1' },
      { ...parts, temperature: 0.2 },
      { ...parts, system: 'be careful!' },
      { ...parts, user: 'the diff ' },
      { ...parts, extra: 'max_tokens=10' },
      // Moving text between fields must not collide, even text that looks like a length prefix.
      { ...parts, system: 'be carefulthe diff', user: '' },
      { ...parts, system: `${parts.system}${parts.user.length}:${parts.user}`, user: '' },
      { ...parts, model: '', baseUrl: `${parts.model}${parts.baseUrl}` },
    ];
    expect(new Set([key, ...variants.map(answerKey)]).size).toBe(variants.length + 1);
  });
});

describe('createAnswerCache', () => {
  it('misses, then hits after set, under dir relative to cwd', async () => {
    const cache = createAnswerCache({ dir: '.loom/cache', enabled: true, cwd: dir });
    const key = cache.keyFor(parts);

    expect(await cache.get(key)).toBeUndefined();
    await cache.set(key, '{"findings":[]}');

    expect(await cache.get(key)).toBe('{"findings":[]}');
    expect(await createAnswerCache({ dir: join(dir, '.loom/cache'), enabled: true, cwd: '/' }).get(key)).toBe('{"findings":[]}');
    expect(tree(join(dir, '.loom/cache'))).toEqual(['.gitignore', `${key.slice(0, 2)}/${key}.json`]);
    expect(readFileSync(join(dir, '.loom/cache/.gitignore'), 'utf8')).toBe('*\n');
  });

  it('does nothing when disabled', async () => {
    const cache = createAnswerCache({ dir: 'cache', enabled: false, cwd: dir });
    const key = cache.keyFor(parts);

    await cache.set(key, 'answer');

    expect(await cache.get(key)).toBeUndefined();
    expect(cache.enabled).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('treats torn, foreign and unreadable entries as misses', async () => {
    const cache = createAnswerCache({ dir: 'cache', enabled: true, cwd: dir });
    const [torn, foreign, folder, number] = ['a', 'b', 'c', 'd'].map((user) => cache.keyFor({ ...parts, user })) as [string, string, string, string];
    await cache.set(torn, 'x');
    const file = (key: string) => join(dir, 'cache', key.slice(0, 2), `${key}.json`);
    writeFileSync(file(torn), '{"key":"' + torn.slice(0, 10));
    mkdirSync(join(dir, 'cache', foreign.slice(0, 2)), { recursive: true });
    writeFileSync(file(foreign), JSON.stringify({ key: torn, answer: 'for another prompt' }));
    mkdirSync(file(folder), { recursive: true });
    mkdirSync(join(dir, 'cache', number.slice(0, 2)), { recursive: true });
    writeFileSync(file(number), JSON.stringify({ key: number, answer: 42 }));

    for (const key of [torn, foreign, folder, number, 'not-a-key', '../../etc/passwd']) expect(await cache.get(key)).toBeUndefined();
  });

  it('keeps each entry whole under concurrent writes and leaves no temp files', async () => {
    const cache = createAnswerCache({ dir: 'cache', enabled: true, cwd: dir });
    const key = cache.keyFor(parts);
    const values = Array.from({ length: 20 }, (_, i) => `answer ${i} ${'x'.repeat(50_000)}`);

    await Promise.all(values.map((v) => cache.set(key, v)));

    expect(values).toContain(await cache.get(key));
    expect(tree(join(dir, 'cache'))).toEqual(['.gitignore', `${key.slice(0, 2)}/${key}.json`]);
  });

  it('never throws when it cannot write, and says so once', async () => {
    writeFileSync(join(dir, 'blocked'), 'a file where the cache folder should be');
    const errors: unknown[] = [];
    const cache = createAnswerCache({ dir: 'blocked/cache', enabled: true, cwd: dir, onWriteError: (e) => errors.push(e) });

    await cache.set(cache.keyFor(parts), 'a');
    await cache.set(cache.keyFor({ ...parts, user: 'b' }), 'b');

    expect(await cache.get(cache.keyFor(parts))).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });
});

describe('the cache inside a checkout', () => {
  let repo: TestRepo;
  afterEach(() => repo.remove());

  it('never shows up in git status', async () => {
    repo = makeRepo();
    const cache = createAnswerCache({ dir: '.loom/cache', enabled: true, cwd: repo.dir });

    await cache.set(cache.keyFor(parts), 'answer');

    expect(repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });
});
