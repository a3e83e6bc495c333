/** Options every formatter accepts; formats ignore the ones that do not apply to them. */
export interface FormatOptions {
  /** ANSI colour in `text` output. The caller decides (TTY, NO_COLOR, FORCE_COLOR): formatters never look. */
  color?: boolean;
  /**
   * `markdown` as a PR summary: findings with these fingerprints are already inline comments, so they are
   * listed in one line each instead of in full.
   */
  postedInline?: ReadonlySet<string>;
}
