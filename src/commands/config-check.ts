import { readFile } from 'node:fs/promises';
import { EXIT, LoomError } from '../errors.ts';
import { checkConfigText } from '../config/check.ts';
import { formatIssue, hasErrors } from '../config/issues.ts';
import { CONFIG_FILES, defaultConfig, displayPath, findConfigFile } from '../config/load.ts';

export interface ConfigCheckOptions {
  /** Explicit file to check; otherwise the one `loom review` would use. */
  path?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `loom config check [PATH]`: exit 0 when valid (warnings allowed), 2 with `file:line:col: message` lines otherwise. */
export async function runConfigCheck(opts: ConfigCheckOptions): Promise<number> {
  let file: string | undefined;
  try {
    file = await findConfigFile(opts);
  } catch (error) {
    if (!(error instanceof LoomError)) throw error;
    opts.stderr(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (!file) {
    try {
      const config = defaultConfig(opts.env);
      opts.stdout(
        `no config file (${CONFIG_FILES.join(' or ')}); loom uses its built-in default ` +
          `(${count(config.pipelines.length, 'pipeline')}, ${count(Object.keys(config.models).length, 'model')}). ` +
          `Run "loom init" to create one.\n`,
      );
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof LoomError)) throw error;
      opts.stderr(`error: ${error.message}\n`);
      return EXIT.usage;
    }
  }

  const shown = displayPath(opts.cwd, file);
  const { config, issues } = checkConfigText(await readFile(file, 'utf8'), { file: shown, cwd: opts.cwd, env: opts.env });
  for (const issue of issues) opts.stderr(`${formatIssue(shown, issue)}\n`);
  if (!config || hasErrors(issues)) return EXIT.usage;
  opts.stdout(`${shown}: valid (${count(config.pipelines.length, 'pipeline')}, ${count(Object.keys(config.models).length, 'model')})\n`);
  return EXIT.ok;
}
