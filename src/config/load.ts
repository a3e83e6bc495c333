import { stat, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { LoomError } from '../errors.ts';
import { checkConfigText } from './check.ts';
import { formatIssue, type ConfigIssue } from './issues.ts';
import { LoomConfig, ModelConfig } from './schema.ts';

export interface LoadedConfig {
  config: LoomConfig;
  /** Absolute path of the file read; absent when loom runs on its built-in default. */
  path?: string;
  warnings: ConfigIssue[];
}

export interface LoadOptions {
  cwd: string;
  /** An explicit config file (`--config`); relative to cwd. */
  path?: string;
  env: Record<string, string | undefined>;
}

/** Looked for in this order when no path is given. */
export const CONFIG_FILES = ['.loom/config.yaml', '.loom/config.yml'] as const;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path of the config file to use, or undefined when there is none (built-in default).
 * A path the user named must exist: silently falling back to defaults would hide a typo.
 */
export async function findConfigFile(opts: { cwd: string; path?: string }): Promise<string | undefined> {
  if (opts.path !== undefined) {
    const full = resolve(opts.cwd, opts.path);
    const info = await stat(full).catch(() => undefined);
    if (!info) {
      throw new LoomError('config-not-found', `config file not found: ${opts.path}. Check the path, or run "loom init" to create .loom/config.yaml.`);
    }
    if (!info.isFile()) throw new LoomError('config-not-found', `${opts.path} is not a file; pass the path of the YAML config file.`);
    return full;
  }
  for (const name of CONFIG_FILES) {
    const full = join(opts.cwd, name);
    if (await isFile(full)) return full;
  }
  return undefined;
}

/** How a path is shown in messages: relative to cwd when it is inside it. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

const nonEmpty = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

/**
 * The built-in config used when the repository has none. The OpenAI-style variables point its model
 * elsewhere; they are ignored once a config file exists, so the file alone decides what runs.
 */
export function defaultConfig(env: Record<string, string | undefined>): LoomConfig {
  return withEnvModel(LoomConfig.parse({}), env);
}

/**
 * The implicit default model (used when the config defines no `models`) follows OPENAI_BASE_URL and
 * LOOM_MODEL/OPENAI_MODEL, so a config that only lists pipelines works against any endpoint.
 */
function withEnvModel(base: LoomConfig, env: Record<string, string | undefined>): LoomConfig {
  const baseUrl = nonEmpty(env.OPENAI_BASE_URL);
  const model = nonEmpty(env.LOOM_MODEL) ?? nonEmpty(env.OPENAI_MODEL);
  const implicit = base.models.default;
  if ((!baseUrl && !model) || !implicit) return base;
  const overridden = ModelConfig.safeParse({ ...implicit, ...(baseUrl && { base_url: baseUrl }), ...(model && { model }) });
  if (!overridden.success) {
    throw new LoomError('config-invalid', 'OPENAI_BASE_URL must be an http(s) URL such as https://api.openai.com/v1; fix or unset it.');
  }
  return { ...base, models: { ...base.models, default: overridden.data } };
}

/** Finds, reads and validates the config; throws LoomError listing every error when it is invalid. */
export async function loadConfig(opts: LoadOptions): Promise<LoadedConfig> {
  const file = await findConfigFile(opts);
  if (!file) return { config: defaultConfig(opts.env), warnings: [] };
  const text = await readFile(file, 'utf8');
  const shown = displayPath(opts.cwd, file);
  const { config, issues } = checkConfigText(text, { file: shown, cwd: opts.cwd, env: opts.env });
  if (!config) throw new LoomError('config-invalid', issues.map((issue) => formatIssue(shown, issue)).join('\n'));
  const definesModels = /^models\s*:/m.test(text);
  return { config: definesModels ? config : withEnvModel(config, opts.env), path: file, warnings: issues.filter((issue) => issue.severity === 'warning') };
}
