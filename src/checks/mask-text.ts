import { PRIVATE_KEY_BEGIN, PRIVATE_KEY_END, SECRET_PATTERNS } from './secret-patterns.ts';
import { MASK } from './secrets.ts';

/** Masks secrets in free text from the pull request (title, description) before it goes into a prompt. */
export function maskSecretsInText(text: string): string {
  let inKey = false;
  return text
    .split('\n')
    .map((line) => {
      if (inKey || PRIVATE_KEY_BEGIN.test(line)) {
        inKey = !PRIVATE_KEY_END.test(line);
        return MASK('private-key');
      }
      let out = line;
      for (const pattern of SECRET_PATTERNS) out = out.replace(pattern.regex, () => MASK(pattern.id));
      return out;
    })
    .join('\n');
}
