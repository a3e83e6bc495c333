import { randomUUID } from 'node:crypto';
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

/** A rendered prompt; `pieces`, where known, are the texts around each place the diff is printed verbatim. */
export interface RenderedPrompt {
  text: string;
  /** `text` is these joined with the diff between them (one piece when the diff is not printed). */
  pieces?: string[];
}

/**
 * Compiled templates by their text. A template renders once per model call with the same text: compiling it each
 * time (eta parses it and builds a Function) cost the main thread ~2 ms per call, hundreds on a large pull request.
 */
const compiled = new Map<string, { render: ReturnType<Eta['compile']>; diffOpaque: boolean }>();

function compiledOf(text: string): { render: ReturnType<Eta['compile']>; diffOpaque: boolean } {
  let template = compiled.get(text);
  if (!template) {
    const normalised = normaliseTemplate(text);
    template = { render: eta.compile(normalised, { async: false }), diffOpaque: diffOpaque(normalised) };
    compiled.set(text, template);
  }
  return template;
}

/** A dotted name under a variable other than `diff` (`pr.title`, `it.files.length`): reading it cannot see the diff. */
const OTHER_VARIABLE = String.raw`(?:it\.)?(?:${PROMPT_VARIABLES.filter((v) => v !== 'diff').join('|')})(?:\.[A-Za-z_$][\w$]*)*`;
const PRINTS_OTHER = new RegExp(`^${OTHER_VARIABLE}$`);
const PRINTS_DIFF = /^(?:it\.)?diff$/;
/** `if (x) {`, `if (!x) {`, `} else if (x) {`, `} else {`, `}` over such names: the built-in templates' only code. */
const BRANCHES_ON_OTHER = new RegExp(`^(?:\\}\\s*)?(?:else\\s*)?(?:if\\s*\\(\\s*!?\\s*${OTHER_VARIABLE}\\s*\\)\\s*)?\\{?$`);

/**
 * Whether the diff can only be printed, verbatim, by this template: no code in it reads `diff` (or could reach it).
 * Such a template is rendered once with a stand-in for the diff, and the request body is built around the pieces
 * (see llm/body-json.ts), so a 100 KB prompt is never searched for the diff it holds. Any other template is
 * rendered with the diff itself.
 */
function diffOpaque(normalised: string): boolean {
  return eta.parse(normalised).every((item) => {
    if (typeof item === 'string') return true;
    const code = item.val.trim();
    if (item.t === 'i' || item.t === 'r') return PRINTS_DIFF.test(code) || PRINTS_OTHER.test(code);
    return BRANCHES_ON_OTHER.test(code);
  });
}

/** Stands in for the diff in an opaque template's rendering: no pull request can hold it by chance or on purpose. */
const DIFF_STAND_IN = `\u0000loom-diff-${randomUUID()}\u0000`;

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
  return renderPrompt(template, data).text;
}

/** renderTemplate, with the pieces around the diff where the template can only print it (see diffOpaque). */
export function renderPrompt(template: Template, data: PromptData): RenderedPrompt {
  const diff = defuse(data.diff);
  const { render, diffOpaque } = compiledOf(template.text);
  const safe: PromptData = {
    ...data,
    diff: diffOpaque ? DIFF_STAND_IN : diff,
    pr: { ...data.pr, title: defuse(data.pr.title), description: defuse(data.pr.description) },
  };
  let text: string;
  try {
    text = eta.render(render, safe);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new LoomError('config-invalid', `${template.source}: the template does not render: ${reason}. Variables available: ${PROMPT_VARIABLES.join(', ')}`, { cause: error });
  }
  if (!diffOpaque) return { text };
  const pieces = text.split(DIFF_STAND_IN);
  // Joined by concatenation, the text is not copied: only what needs it whole (a cache key) makes it flat.
  return { text: pieces.reduce((joined, piece) => joined + diff + piece), pieces };
}

/** Text from the pull request with loom's delimiters broken, so it cannot close them. Applying it twice changes nothing. */
export function defuse(text: string): string {
  // A unit's diff, defused once, is defused again for each pipeline's prompt: found here, it is not scanned again.
  if (text === lastDefused) return text;
  const out = text.replaceAll('<<<loom:', '<<< loom:');
  if (out.length >= DEFUSED_KEPT_CHARS) lastDefused = out;
  return out;
}

const DEFUSED_KEPT_CHARS = 4096;
let lastDefused = '';
