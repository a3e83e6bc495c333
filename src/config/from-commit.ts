import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import YAML from 'yaml';
import { tryGit } from '../diff/git.ts';
import { CONFIG_FILES } from './load.ts';

/**
 * On `pull_request_target` the job holds a write token and secrets, so nothing the pull request changed may
 * steer it: the config, prompt files and guidelines are read from the trusted base commit into a temp dir,
 * which then stands in for the repository root when loading them.
 */
export async function checkoutTrustedConfig(cwd: string, commit: string, configPath?: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'loom-trusted-'));
  const copy = async (path: string): Promise<string | undefined> => {
    const safe = normalize(path).replace(/^(\.\.(\/|$))+/, '');
    const shown = await tryGit(cwd, ['show', `${commit}:${safe}`], { raw: true });
    if (shown.exitCode !== 0) return undefined;
    await mkdir(dirname(join(root, safe)), { recursive: true });
    await writeFile(join(root, safe), shown.stdout);
    return shown.stdout;
  };
  for (const file of configPath ? [configPath] : CONFIG_FILES) {
    const text = await copy(file);
    if (text === undefined) continue;
    for (const path of referencedFiles(text)) await copy(path);
    break;
  }
  return root;
}

function referencedFiles(configText: string): string[] {
  try {
    const raw = (YAML.parse(configText) ?? {}) as { pipelines?: { prompt_file?: unknown }[]; guidelines?: unknown };
    const paths = [...(Array.isArray(raw.pipelines) ? raw.pipelines : []).map((p) => p?.prompt_file), raw.guidelines];
    return paths.filter((p): p is string => typeof p === 'string');
  } catch {
    // An invalid config is reported, with its line numbers, when it is loaded.
    return [];
  }
}
