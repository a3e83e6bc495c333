import { toJSONSchema } from 'zod/mini';
import { LoomConfig } from './schema.ts';

/** A URN, not a URL: the schema is shipped with loom (`loom config schema`), not hosted anywhere. */
export const CONFIG_SCHEMA_ID = 'urn:loom-review:config';

/**
 * JSON Schema (2020-12) of `.loom/config.yaml`, generated from the zod schema so the two cannot drift.
 * `io: 'input'` describes what a person writes: keys with defaults are optional.
 */
export function configJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = toJSONSchema(LoomConfig, { io: 'input' }) as Record<string, unknown>;
  return {
    $schema,
    $id: CONFIG_SCHEMA_ID,
    title: 'loom configuration (.loom/config.yaml)',
    description: 'Models, review pipelines and triggers for loom, the AI code reviewer for CI.',
    ...rest,
  };
}
