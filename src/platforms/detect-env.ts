/** Environment reading shared by the per-CI detectors. */

export type Env = Record<string, string | undefined>;
export type ReadFile = (path: string) => string | undefined;

// Azure Pipelines passes `$(Name)` through literally when the variable is not defined (a secret nobody set),
// and CIs export unset variables as empty strings; neither is a value.
const UNEXPANDED_MACRO = /^\$\([\w.]+\)$/;

export function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value && !UNEXPANDED_MACRO.test(value) ? value : undefined;
}

/** CIs spell booleans `true`, `True` and `TRUE`. */
export function isTrue(env: Env, name: string): boolean {
  return read(env, name)?.toLowerCase() === 'true';
}

/** A positive integer, or undefined for anything else (`0`, `12abc`, `#3`). */
export function parsePrNumber(value: string | number | undefined): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  return text !== undefined && /^[1-9]\d*$/.test(text) ? Number(text) : undefined;
}

export function trimTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function stripHeadsPrefix(ref: string): string {
  return ref.replace(/^refs\/heads\//, '');
}

/**
 * The first token set among `names`, LOOM_TOKEN always first. With none set, `tokenVar` names the variable the
 * user should set (`missingVar`), so the caller's error can say exactly that.
 */
export function pickToken(env: Env, names: readonly string[], missingVar: string): { token?: string; tokenVar: string } {
  for (const name of ['LOOM_TOKEN', ...names]) {
    const token = read(env, name);
    if (token) return { token, tokenVar: name };
  }
  return { tokenVar: missingVar };
}
