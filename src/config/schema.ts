// zod's functional API (zod/mini), imported as a namespace: the bundler keeps only the parts the schema uses. Every
// review compiles this chunk and builds the schema before it can read its config; the method-chaining API made the
// chunk 149 KB instead of 76 KB and bound every method onto every schema (~10 ms to the config, measured).
import * as z from 'zod/mini';
import { SEVERITIES } from '../findings/finding.ts';
import { HEADER_VALUE, HTTP_TOKEN } from '../net/header-syntax.ts';
import { MIN_SUMMARISE_OVER, REMOVAL_ENDS_SHOWN } from '../units/removal-ends.ts';

/** Built-in prompt templates shipped in templates/; a pipeline uses one when it has no prompt_file. */
export const BUILTIN_TEMPLATES = ['review', 'security', 'performance'] as const;

export const FAIL_ON = ['blocker', 'warning', 'info', 'never'] as const;

const envVarName = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable, not its value'));

// What HTTP/1.1 allows (net/http1.ts refuses the rest when it sends): caught here, a bad header is a config error.
const headerName = z.string().check(z.regex(HTTP_TOKEN, "must be an HTTP header name: letters, digits and !#$%&'*+-.^_`|~"));
const headerValue = z.string().check(z.regex(HEADER_VALUE, 'an HTTP header value cannot hold line breaks, other control characters or characters beyond Latin-1'));

/** `schema` documented: the description shows in the JSON Schema (`loom config schema`) and editors. */
function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  z.globalRegistry.add(schema, { description });
  return schema;
}
const positiveInt = () => z.number().check(z.int(), z.positive());

export const ModelConfig = z.strictObject({
  base_url: described(z._default(z.url({ protocol: /^https?$/ }), 'https://api.openai.com/v1'), 'OpenAI-compatible API base, e.g. http://127.0.0.1:11434/v1 for Ollama'),
  api_key_env: described(z._default(envVarName, 'OPENAI_API_KEY'), 'Name of the environment variable holding the API key (never the key itself)'),
  model: described(z.string().check(z.minLength(1)), 'Model name as the endpoint knows it'),
  temperature: z._default(z.number().check(z.gte(0), z.lte(2)), 0),
  max_tokens: described(z._default(positiveInt(), 4000), 'Response tokens'),
  context_window: described(z.optional(positiveInt()), 'The model\'s context window in tokens, prompt and answer together (each call\'s input budget is this minus max_tokens and the prompt); derived from the model name when absent. With Ollama: its context length (num_ctx)'),
  timeout_s: described(z._default(z.number().check(z.positive()), 120), 'Per-request timeout in seconds'),
  max_retries: described(z._default(z.number().check(z.int(), z.gte(0), z.lte(10)), 3), 'Retries on 429, 5xx and network errors'),
  fallback: described(z._default(z.array(z.string()), []), 'Other model names to try, in order, when this one fails'),
  headers: described(z._default(z.record(headerName, headerValue), {}), 'Extra HTTP headers sent with every request'),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

export const PipelineConfig = z.strictObject({
  name: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "-", "_" or "."')),
  model: described(z._default(z.string(), 'default'), 'A key of `models`'),
  prompt_file: described(z.optional(z.string()), 'Path of an eta/markdown prompt template, relative to the repository root'),
  template: described(z.optional(z.enum(BUILTIN_TEMPLATES)), 'Built-in template to use when there is no prompt_file'),
  severity: described(z._default(z.enum(SEVERITIES), 'warning'), 'Default severity of this pipeline\'s findings'),
  paths: described(z.optional(z.array(z.string())), 'Globs: review only matching files'),
  instructions: described(z.optional(z.string()), 'Extra instructions appended to the prompt'),
  enabled: z._default(z.boolean(), true),
});
export type PipelineConfig = z.infer<typeof PipelineConfig>;

export const TriggersConfig = z.strictObject({
  branches: described(z.optional(z.array(z.string())), 'Target branches (globs) that get reviewed; all when absent'),
  ignore_paths: described(z._default(z.array(z.string()), []), 'Globs of files never reviewed'),
  max_changes: described(z.optional(positiveInt()), 'Changed lines above which the model review is skipped with a notice'),
});

export const ChecksConfig = z.strictObject({
  secrets: described(z._default(z.boolean(), true), 'Report (and mask before any model call) secrets in added lines'),
  conflict_markers: described(z._default(z.boolean(), true), 'Report merge-conflict markers in added lines'),
});

/** Files no model needs to read: generated, vendored, minified, lock files. Reported as skipped, never silently. */
export const DEFAULT_SKIP_PATHS = [
  '**/*.lock',
  '**/package-lock.json',
  '**/npm-shrinkwrap.json',
  '**/pnpm-lock.yaml',
  '**/yarn.lock',
  '**/bun.lockb',
  '**/Cargo.lock',
  '**/go.sum',
  '**/poetry.lock',
  '**/Pipfile.lock',
  '**/composer.lock',
  '**/Gemfile.lock',
  '**/*.min.js',
  '**/*.min.css',
  '**/*.map',
  '**/*.snap',
  '**/vendor/**',
  '**/node_modules/**',
  '**/dist/**',
  '**/*.pb.go',
  '**/*_pb2.py',
  '**/*.generated.*',
  '**/*.g.dart',
  '**/*.svg',
];

export const LimitsConfig = z.strictObject({
  max_calls: described(z._default(positiveInt(), 300), 'Model calls per run, all pipelines together; units beyond it are reported as not reviewed. A unit the model refuses as too long is split in two only while the calls stay within it'),
  max_prompt_tokens: described(z.optional(positiveInt()), 'Prompt tokens per run, all pipelines together'),
  max_minutes: described(
    z.optional(z.number().check(z.positive())),
    'Minutes the review may wait on models, counted from its start; then the calls not answered yet are stopped, their units reported as not reviewed, and the report is written and posted. Set it a few minutes under the CI job\'s timeout: a slow model then leaves a partial review on the pull request instead of none',
  ),
});

export const CacheConfig = z.strictObject({
  enabled: described(z._default(z.boolean(), true), 'Reuse model answers for identical prompts (a re-run on the same diff costs no tokens)'),
  dir: described(z._default(z.string(), '.loom/cache'), 'Cache directory: the answers, and which files went together in each unit (units.json), so a push re-asks only the units with a changed file; persist it between CI runs to save tokens'),
});

export const LoomConfig = z.strictObject({
  models: z._default(z.record(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)), ModelConfig), () => ({ default: ModelConfig.parse({ model: 'gpt-4o' }) })),
  pipelines: z._default(z.array(PipelineConfig).check(z.minLength(1)), () => [PipelineConfig.parse({ name: 'review', template: 'review' })]),
  triggers: z._default(TriggersConfig, () => TriggersConfig.parse({})),
  checks: z._default(ChecksConfig, () => ChecksConfig.parse({})),
  fail_on: described(z._default(z.enum(FAIL_ON), 'never'), 'Exit 1 when a finding is at or above this severity'),
  concurrency: described(z._default(z.number().check(z.int(), z.gte(1), z.lte(64)), 4), 'Model calls in flight at once'),
  skip_paths: described(
    z._default(z.array(z.string()), () => [...DEFAULT_SKIP_PATHS]),
    'Globs of files loom does not send to a model (generated, vendored, lock files); they are counted as skipped',
  ),
  skip_generated: described(
    z._default(z.boolean(), true),
    'Also skip files whose content shows they are generated (a marker such as "Code generated ... DO NOT EDIT" or @generated in a comment in their first 10 lines) or minified (JavaScript or CSS of 4 KB or more with at most three, or half, of its lines under 111 characters); counted as skipped',
  ),
  summarise_removed_over: described(
    z._default(z.number().check(z.int(), z.gte(MIN_SUMMARISE_OVER)), 200),
    `A run of more removed lines in a row than this, in a hunk that also adds lines, is shown to the model as a marker (\`… N lines removed (not shown)\`) but for the ${REMOVAL_ENDS_SHOWN} lines at an end an added line borders; its lines count as summarised. Hunks and files that only remove lines are always summarised`,
  ),
  limits: z._default(LimitsConfig, () => LimitsConfig.parse({})),
  cache: z._default(CacheConfig, () => CacheConfig.parse({})),
  guidelines: described(z.optional(z.string()), 'Path of a file with team review guidelines, passed to templates as `guidelines`'),
});
export type LoomConfig = z.infer<typeof LoomConfig>;
