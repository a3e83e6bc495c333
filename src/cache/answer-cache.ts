import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** What decides a model's answer: a change to any of these is a different entry. */
export interface AnswerKeyParts {
  model: string;
  baseUrl: string;
  temperature: number;
  system: string;
  user: string;
  /** Anything else the request depends on (e.g. max_tokens, response format), already serialised. */
  extra?: string;
}

/** Raw model answers by prompt, so a re-run on the same diff costs no tokens. */
export interface AnswerCache {
  readonly enabled: boolean;
  /** The stored answer, or undefined (also for an unreadable or corrupt entry: a miss, never an error). */
  get(key: string): Promise<string | undefined>;
  /** Stores an answer atomically. Never throws: a cache that cannot be written only costs tokens next time. */
  set(key: string, value: string): Promise<void>;
  keyFor(parts: AnswerKeyParts): string;
}

export interface AnswerCacheOptions {
  /** Cache directory, relative to `cwd` unless absolute. */
  dir: string;
  enabled: boolean;
  cwd: string;
  /** Told once about the first failed write (read-only checkout, full disk). */
  onWriteError?: (error: unknown) => void;
}

/** Bumped when the entry format or what goes into a key changes, so old entries are simply never found. */
const FORMAT = 'loom-answer-v2';

export function answerKey(parts: AnswerKeyParts): string {
  // Each field hashed after its length: no text inside a field can make two different prompts hash alike, and a
  // prompt of 100 KB is hashed as it is, not first copied into a JSON string.
  const hash = createHash('sha256');
  for (const field of [FORMAT, parts.model, parts.baseUrl, String(parts.temperature), parts.system, parts.user, parts.extra ?? '']) {
    hash.update(`${field.length}:`).update(field);
  }
  return hash.digest('hex');
}

const KEY = /^[0-9a-f]{64}$/;

/** Makes the cache directory, which lives inside the checkout: it must never show up in `git status` or get committed. */
export async function makeCacheDir(root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  await writeFile(join(root, '.gitignore'), '*\n', { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

export function createAnswerCache(opts: AnswerCacheOptions): AnswerCache {
  if (!opts.enabled) {
    return { enabled: false, get: async () => undefined, set: async () => undefined, keyFor: answerKey };
  }
  const root = resolve(opts.cwd, opts.dir);
  // Two-character folders keep directories small when a persisted cache grows to many thousands of entries.
  const pathOf = (key: string) => join(root, key.slice(0, 2), `${key}.json`);
  let prepared: Promise<void> | undefined;
  let warned = false;

  const prepare = () =>
    (prepared ??= makeCacheDir(root).catch((error: unknown) => {
      prepared = undefined;
      throw error;
    }));

  return {
    enabled: true,
    keyFor: answerKey,
    async get(key) {
      if (!KEY.test(key)) return undefined;
      try {
        const entry: unknown = JSON.parse(await readFile(pathOf(key), 'utf8'));
        if (typeof entry === 'object' && entry !== null && (entry as { key?: unknown }).key === key) {
          const answer = (entry as { answer?: unknown }).answer;
          if (typeof answer === 'string') return answer;
        }
      } catch {
        // Missing, unreadable or torn: a miss.
      }
      return undefined;
    },
    async set(key, value) {
      if (!KEY.test(key)) return;
      const file = pathOf(key);
      // Written beside the entry, then renamed over it: readers (and concurrent runs) see the whole entry or none.
      const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await prepare();
        await mkdir(join(root, key.slice(0, 2)), { recursive: true });
        await writeFile(temp, JSON.stringify({ key, answer: value }));
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        if (!warned) {
          warned = true;
          opts.onWriteError?.(error);
        }
      }
    },
  };
}
