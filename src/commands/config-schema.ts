import { configJsonSchema } from '../config/json-schema.ts';

/** `loom config schema`: the JSON Schema of the config file, for editors and other validators. */
export async function runConfigSchema(opts: { stdout: (s: string) => void }): Promise<number> {
  opts.stdout(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
