import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

/** The SARIF 2.1.0 schema shipped by @microsoft/jest-sarif (draft-04). */
export const JEST_SARIF_SCHEMA = createRequire(import.meta.url).resolve(
  '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json',
);

/** The OASIS schema from the shared reference folder next to the repo; absent on most machines. */
export const OFFICIAL_SARIF_SCHEMA = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../shared/specs/sarif/sarif-schema-2.1.0.json',
);
export const hasOfficialSarifSchema = existsSync(OFFICIAL_SARIF_SCHEMA);

// Both packages are CommonJS with `exports.default`; under NodeNext the default import is `module.exports`.
const Ajv = AjvDraft04.default;
const addFormats = addFormatsModule.default;

const compiled = new Map<string, ValidateFunction>();

function validatorFor(schemaPath: string): ValidateFunction {
  let validate = compiled.get(schemaPath);
  if (!validate) {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
    // The `id` is a remote URL Ajv would register globally; it is not needed to validate.
    delete schema.id;
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    validate = ajv.compile(schema);
    compiled.set(schemaPath, validate);
  }
  return validate;
}

/** Schema errors as `instancePath message` lines; empty when `log` is valid SARIF 2.1.0. */
export function validateSarif(log: unknown, schemaPath: string = JEST_SARIF_SCHEMA): string[] {
  const validate = validatorFor(schemaPath);
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'} ${JSON.stringify(e.params)}`);
}
