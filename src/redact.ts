/**
 * Replaces every occurrence of the given secret values with a mask. Values shorter than 6 characters are
 * ignored: masking "ab" everywhere would mangle output without protecting anything.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 6) continue;
    out = out.split(secret).join(mask(secret));
  }
  return out;
}

export function mask(secret: string): string {
  return secret.length <= 8 ? '****' : `${secret.slice(0, 4)}****`;
}
