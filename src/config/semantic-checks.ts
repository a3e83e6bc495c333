import { isLocalBaseUrl } from '../llm/api-key.ts';
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Document, LineCounter } from 'yaml';
import { didYouMean } from './did-you-mean.ts';
import type { ConfigIssue } from './issues.ts';
import { BUILTIN_TEMPLATES, type LoomConfig } from './schema.ts';
import { isWritten, locateValue, type ConfigPath } from './yaml-locate.ts';
import { formatPath } from './zod-issues.ts';

export interface SemanticContext {
  doc: Document;
  lines: LineCounter;
  cwd: string;
  env: Record<string, string | undefined>;
}

function isFile(cwd: string, path: string): boolean {
  try {
    return statSync(isAbsolute(path) ? path : resolve(cwd, path)).isFile();
  } catch {
    return false;
  }
}

/** Checks the schema cannot express: cross-references, files on disk, the environment. */
export function semanticIssues(config: LoomConfig, ctx: SemanticContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (severity: ConfigIssue['severity'], path: ConfigPath, message: string) => {
    const { line, col } = locateValue(ctx.doc, ctx.lines, path);
    issues.push({ severity, line, col, message: `${formatPath(path)}: ${message}` });
  };
  const modelNames = Object.keys(config.models);
  const unknownModel = (name: string) => {
    const suggestion = didYouMean(name, modelNames);
    const hint = suggestion ? `did you mean "${suggestion}"?` : `defined: ${modelNames.join(', ') || 'none'}`;
    return `unknown model "${name}" (${hint})`;
  };

  for (const [name, model] of Object.entries(config.models)) {
    // Only the variable's name is ever printed: its value is a credential.
    // Local servers (Ollama, vLLM on the runner) need no key, so its absence there is not worth a warning.
    if (!ctx.env[model.api_key_env] && !isLocalBaseUrl(model.base_url)) {
      add('warning', ['models', name, 'api_key_env'], `${model.api_key_env} is not set; loom will not be able to call this model`);
    }
    model.fallback.forEach((other, i) => {
      if (other === name) add('error', ['models', name, 'fallback', i], `a model cannot fall back to itself`);
      else if (!config.models[other]) add('error', ['models', name, 'fallback', i], unknownModel(other));
    });
  }

  const pipelinesWritten = isWritten(ctx.doc, ['pipelines']);
  const firstByName = new Map<string, number>();
  config.pipelines.forEach((pipeline, i) => {
    const at = (key: string): ConfigPath => ['pipelines', i, key];
    const seen = firstByName.get(pipeline.name);
    if (seen === undefined) firstByName.set(pipeline.name, i);
    else {
      const first = locateValue(ctx.doc, ctx.lines, ['pipelines', seen, 'name']);
      add('error', at('name'), `duplicate pipeline name "${pipeline.name}" (also used at line ${first.line}); names must be unique`);
    }
    if (!config.models[pipeline.model]) {
      if (pipelinesWritten) add('error', at('model'), unknownModel(pipeline.model));
      else add('error', ['models'], `no model named "${pipeline.model}", which the built-in "${pipeline.name}" pipeline uses; add it or define pipelines`);
    }
    if (pipeline.prompt_file !== undefined && !isFile(ctx.cwd, pipeline.prompt_file)) {
      add(
        'error',
        at('prompt_file'),
        `file not found: ${pipeline.prompt_file} (paths are relative to the repository root); create it, or drop prompt_file and set template: ${BUILTIN_TEMPLATES.join(' | ')}`,
      );
    }
  });

  if (config.guidelines !== undefined && !isFile(ctx.cwd, config.guidelines)) {
    add('error', ['guidelines'], `file not found: ${config.guidelines} (paths are relative to the repository root)`);
  }
  return issues;
}
