import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { Eta } from 'eta';
import type { PipelineConfig } from '../config/schema.ts';
import { LoomError } from '../errors.ts';
import { packageRoot } from '../paths.ts';

export interface PromptData {
  diff: string;
  files: { path: string; oldPath: string; status: string; additions: number; deletions: number }[];
  pr: { title: string; description: string; author: string; base: string; head: string; url: string };
  pipeline: { name: string; severity: string };
  instructions: string;
  guidelines: string;
}

export const PROMPT_VARIABLES = ['diff', 'files', 'pr', 'pipeline', 'instructions', 'guidelines'] as const;

export interface Template {
  /** Where it came from, for error messages. */
  source: string;
  text: string;
}

// autoEscape is off: prompts are markdown for a model, not HTML. useWith lets a template say `diff` for `it.diff`.
const eta = new Eta({ tags: ['{{', '}}'], autoEscape: false, useWith: true, autoTrim: false, cache: false });

/** The seed's `{{diff}}` is a bare name; eta would run it as code and print nothing, so it becomes `{{= diff }}`. */
const BARE_VARIABLE = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\}\}/g;

export function normaliseTemplate(text: string): string {
  return text.replace(BARE_VARIABLE, (_all, name: string) => `{{= ${name} }}`);
}

/**
 * Compiled templates by their text. A template renders once per model call with the same text: compiling it each
 * time (eta parses it and builds a Function) cost the main thread ~2 ms per call, hundreds on a large pull request.
 */
const compiled = new Map<string, ReturnType<Eta['compile']>>();

function compiledOf(text: string): ReturnType<Eta['compile']> {
  let template = compiled.get(text);
  if (!template) {
    template = eta.compile(normaliseTemplate(text), { async: false });
    compiled.set(text, template);
  }
  return template;
}

export async function loadTemplate(name: string): Promise<Template> {
  const path = join(packageRoot(), 'templates', `${name}.md`);
  return { source: `built-in template "${name}"`, text: await readFile(path, 'utf8') };
}

export async function loadPipelineTemplate(pipeline: PipelineConfig, cwd: string): Promise<Template> {
  if (!pipeline.prompt_file) return loadTemplate(pipeline.template ?? 'review');
  const path = isAbsolute(pipeline.prompt_file) ? pipeline.prompt_file : join(cwd, pipeline.prompt_file);
  try {
    return { source: pipeline.prompt_file, text: await readFile(path, 'utf8') };
  } catch (error) {
    throw new LoomError('config-invalid', `pipeline "${pipeline.name}": cannot read prompt_file ${pipeline.prompt_file}; create it or fix the path (loom init writes starter prompts)`, { cause: error });
  }
}

/** Renders a template. Data from the pull request is fenced off so it cannot close loom's delimiters. */
export function renderTemplate(template: Template, data: PromptData): string {
  const safe: PromptData = {
    ...data,
    diff: defuse(data.diff),
    pr: { ...data.pr, title: defuse(data.pr.title), description: defuse(data.pr.description) },
  };
  try {
    return eta.render(compiledOf(template.text), safe);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new LoomError('config-invalid', `${template.source}: the template does not render: ${reason}. Variables available: ${PROMPT_VARIABLES.join(', ')}`, { cause: error });
  }
}

/** Text from the pull request with loom's delimiters broken, so it cannot close them. Applying it twice changes nothing. */
export function defuse(text: string): string {
  return text.replaceAll('<<<loom:', '<<< loom:');
}
