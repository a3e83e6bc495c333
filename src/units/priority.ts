/** Review order of a file: lower first. Source code gets the earliest model slots, then tests, config, docs. */
export const RANK = { source: 0, test: 1, config: 2, other: 3, docs: 4 } as const;
export type FileKind = keyof typeof RANK;

const TEST_DIR = /(^|\/)(tests?|__tests__|__mocks__|specs?|e2e|testdata|fixtures)\//i;
const TEST_FILE = /(\.|_|-)(test|spec|tests|e2e)\.[^./]+$|(^|\/)test_[^/]*\.py$|(^|\/)[^/]*Tests?\.(java|kt|cs|swift|scala)$/;
const DOCS = /\.(md|mdx|markdown|rst|adoc|asciidoc|txt|rtf)$|(^|\/)(docs?|documentation)\/|(^|\/)(README|CHANGELOG|CHANGES|LICENSE|NOTICE|AUTHORS|CONTRIBUTING)[^/]*$/i;
const CONFIG =
  /\.(json|jsonc|json5|ya?ml|toml|ini|cfg|conf|properties|xml|plist|env|editorconfig|gradle|tf|tfvars|hcl|nix|bazel|bzl|cmake|csproj|sln|props|targets|lock)$|(^|\/)(Dockerfile[^/]*|Makefile|Rakefile|Gemfile|Procfile|Jenkinsfile|CODEOWNERS|\.gitignore|\.gitattributes|\.npmrc|\.nvmrc|\.dockerignore|BUILD|WORKSPACE)$|(^|\/)\.(github|gitlab|circleci|husky|vscode)\//i;
const SOURCE =
  /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|vue|svelte|astro|py|pyi|go|rs|java|kt|kts|scala|groovy|c|h|cc|cpp|cxx|hpp|hh|hxx|m|mm|cs|fs|vb|swift|rb|php|pl|pm|lua|r|jl|dart|ex|exs|erl|hrl|clj|cljs|elm|hs|ml|mli|nim|zig|v|sol|sql|sh|bash|zsh|fish|ps1|psm1|bat|cmd|proto|graphql|gql|html|htm|css|scss|sass|less|tf)$/i;

/** What a path most likely holds, from its name alone (cheap: no content is read). */
export function fileKind(path: string): FileKind {
  if (TEST_DIR.test(path) || TEST_FILE.test(path)) return 'test';
  if (DOCS.test(path)) return 'docs';
  if (SOURCE.test(path)) return 'source';
  if (CONFIG.test(path)) return 'config';
  return 'other';
}

export function fileRank(path: string): number {
  return RANK[fileKind(path)];
}
