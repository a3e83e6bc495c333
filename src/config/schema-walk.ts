import type { core } from 'zod/mini';
import type { ConfigPath } from './yaml-locate.ts';

// Only the parts of zod's definitions this walk reads; zod keeps them stable across v4 minors.
interface Def {
  type: string;
  innerType?: core.$ZodType;
  shape?: Record<string, core.$ZodType>;
  element?: core.$ZodType;
  valueType?: core.$ZodType;
  entries?: Record<string, string | number>;
}

const defOf = (schema: core.$ZodType) => (schema as unknown as { def: Def }).def;

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch']);

/** The schema with defaults and optional wrappers taken off, i.e. what a value must actually be. */
export function unwrapSchema(schema: core.$ZodType): core.$ZodType {
  let current = schema;
  for (let def = defOf(current); WRAPPERS.has(def.type) && def.innerType; def = defOf(current)) current = def.innerType;
  return current;
}

/** The schema that governs the value at `path`, or undefined where the schema has no such place. */
export function schemaAt(root: core.$ZodType, path: ConfigPath): core.$ZodType | undefined {
  let current: core.$ZodType | undefined = unwrapSchema(root);
  for (const segment of path) {
    if (!current) return undefined;
    const def = defOf(current);
    const next: core.$ZodType | undefined =
      def.type === 'object' ? def.shape?.[String(segment)] : def.type === 'array' ? def.element : def.type === 'record' ? def.valueType : undefined;
    current = next && unwrapSchema(next);
  }
  return current;
}

/** The keys an object schema allows at `path` (for "did you mean"). */
export function allowedKeys(root: core.$ZodType, path: ConfigPath): string[] {
  const schema = schemaAt(root, path);
  const shape = schema && defOf(schema).shape;
  return shape ? Object.keys(shape) : [];
}

/** Plain-English description of what a value at `path` must be, e.g. "a string" or "one of a, b". */
export function expectedAt(root: core.$ZodType, path: ConfigPath): string | undefined {
  const schema = schemaAt(root, path);
  if (!schema) return undefined;
  const def = defOf(schema);
  if (def.type === 'enum' && def.entries) return `one of ${Object.values(def.entries).join(', ')}`;
  return EXPECTED[def.type];
}

export const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};
