/**
 * High-confidence secret formats only: each has a fixed prefix or structure, so a match is almost never a
 * false alarm. Generic "password = ..." heuristics are deliberately absent; they would train people to ignore
 * the check.
 *
 * Every repetition has an upper bound, far above the format's real length (1,000 characters; 20,000 for a key in
 * JSON): a regular expression tries again from each place its prefix occurs, and an unbounded run that must be
 * followed by something else is read to the end of the line each time. A line of 100,000 `sk-` kept the OpenAI
 * pattern busy for over a minute; a pull request could hold one to stall the review.
 */
export interface SecretPattern {
  id: string;
  label: string;
  regex: RegExp;
}

export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { id: 'aws-access-key-id', label: 'AWS access key ID', regex: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { id: 'github-token', label: 'GitHub token', regex: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g },
  { id: 'github-fine-grained-token', label: 'GitHub fine-grained token', regex: /\bgithub_pat_[A-Za-z0-9_]{60,255}\b/g },
  { id: 'gitlab-token', label: 'GitLab token', regex: /\bgl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,1000}\b/g },
  { id: 'slack-token', label: 'Slack token', regex: /\bxox[abposr]-[A-Za-z0-9-]{10,1000}\b/g },
  { id: 'slack-webhook', label: 'Slack webhook URL', regex: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{1,1000}\/B[A-Z0-9]{1,1000}\/[A-Za-z0-9]{20,1000}/g },
  { id: 'stripe-live-key', label: 'Stripe live key', regex: /\b[rs]k_live_[A-Za-z0-9]{20,1000}\b/g },
  { id: 'google-api-key', label: 'Google API key', regex: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { id: 'openai-api-key', label: 'OpenAI API key', regex: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,1000}T3BlbkFJ[A-Za-z0-9_-]{20,1000}\b/g },
  { id: 'anthropic-api-key', label: 'Anthropic API key', regex: /\bsk-ant-[a-z0-9]{1,1000}-[A-Za-z0-9_-]{40,1000}\b/g },
  { id: 'npm-token', label: 'npm access token', regex: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { id: 'pypi-token', label: 'PyPI API token', regex: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}\b/g },
  { id: 'azure-storage-key', label: 'Azure storage account key', regex: /AccountKey=[A-Za-z0-9+/]{86}==/g },
  { id: 'jwt-private', label: 'private key in JSON', regex: /"private_key"\s{0,100}:\s{0,100}"-----BEGIN[^"]{20,20000}"/g },
];

/** PEM private key blocks span lines: the header starts masking, the footer ends it. */
export const PRIVATE_KEY_BEGIN = /-----BEGIN (?:[A-Z0-9]{1,100} ){0,10}PRIVATE KEY(?: BLOCK)?-----/;
export const PRIVATE_KEY_END = /-----END (?:[A-Z0-9]{1,100} ){0,10}PRIVATE KEY(?: BLOCK)?-----/;

/**
 * Fixed text every pattern above needs (and a private key header): a line with none of it holds no secret, so
 * it is tested once instead of once per pattern. Keep in step with SECRET_PATTERNS: test/checks/builtin.test.ts
 * checks that a sample of each pattern matches it. Alternatives that start alike are grouped: tested on every
 * line of a diff, this form runs about a quarter faster than the flat list.
 */
export const SECRET_HINT =
  /A(?:KIA|SIA|Iza|ccountKey=)|g(?:h[pousr]_|ithub_pat_|l(?:pat|dt|rt|ptt|cbt|oas)-)|xox[abposr]-|hooks\.slack\.com|k_live_|T3BlbkFJ|sk-ant-|npm_|pypi-|"private_key"|-----BEGIN /;
