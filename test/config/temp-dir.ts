import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempDir {
  dir: string;
  write(files: Record<string, string>): void;
  remove(): void;
}

/** A real directory to stand in for a repository root. */
export function makeTempDir(files: Record<string, string> = {}): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'loom-config-'));
  const temp: TempDir = {
    dir,
    write(next) {
      for (const [path, content] of Object.entries(next)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  temp.write(files);
  return temp;
}

/** The seed's config, verbatim: it must stay valid. */
export const SEED_CONFIG = `models:
  default:
    base_url: https://api.openai.com/v1
    api_key_env: OPENAI_API_KEY
    model: gpt-4o
    temperature: 0.0
    max_tokens: 4000
pipelines:
  - name: security
    model: default
    prompt_file: .loom/prompts/security.md
    severity: blocker
triggers:
  branches: ["main", "develop"]
  ignore_paths: ["*.lock", "dist/**"]
  max_changes: 1000
`;
