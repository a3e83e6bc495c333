import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeRepo, type TestRepo } from '../helpers/git-repo.ts';
import { findingsReply, startOpenAiServer, type FakeOpenAi } from '../helpers/openai-server.ts';
import { runCli } from '../helpers/run-cli.ts';
import { validateSarif } from '../helpers/sarif-validate.ts';

const SEED_CONFIG = (baseUrl: string) => `models:
  default:
    base_url: ${baseUrl}
    api_key_env: OPENAI_API_KEY
    model: gpt-4o
    temperature: 0.0
    max_tokens: 4000
pipelines:
  - name: security
    model: default
    prompt_file: .loom/prompts/security.md
    severity: blocker
triggers:
  branches: ["main", "develop"]
  ignore_paths: ["*.lock", "dist/**"]
  max_changes: 1000
`;

const PROMPT = 'Find security problems. Answer with the JSON findings contract.\n\n{{diff}}\n';
const KEY = 'sk-test-e2e-0123456789abcdef';

let server: FakeOpenAi;
let repo: TestRepo;

beforeAll(async () => {
  server = await startOpenAiServer(() => ({ content: '[]' }));
});
afterAll(() => server.close());
afterEach(() => {
  repo?.remove();
  server.requests.length = 0;
});

/** main holds db.js; feature adds a query built from input at line 5 and a lock file that must be ignored. */
function featureRepo(config: string | null): TestRepo {
  const r = makeRepo({ 'src/db.js': 'export function get(db, id) {\n  return db.query("SELECT 1", [id]);\n}\n' });
  r.git('checkout', '-q', '-b', 'feature');
  r.write({
    'src/db.js': 'export function get(db, id) {\n  return db.query("SELECT 1", [id]);\n}\n\nexport const find = (db, name) => db.query("SELECT * FROM t WHERE n = \'" + name + "\'");\n',
    'package.lock': 'lock\n',
    ...(config === null ? {} : { '.loom/config.yaml': config, '.loom/prompts/security.md': PROMPT }),
  });
  r.commit('feature');
  return r;
}

const sqlFinding = { file: 'src/db.js', line: 5, severity: 'blocker', title: 'SQL built from user input', body: 'Use a parameter.', suggestion: 'export const find = (db, name) => db.query("SELECT * FROM t WHERE n = $1", [name]);' };

describe('loom review (built CLI, seed config, local model server)', () => {
  it('prints valid SARIF whose results sit on the lines the model named', async () => {
    repo = featureRepo(SEED_CONFIG(server.url));
    server.setHandler(() => findingsReply([sqlFinding, { ...sqlFinding, line: 1, severity: 'info', title: 'Exported without docs', body: 'x' }]));

    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'sarif'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });

    expect(result.stderr).not.toContain(KEY);
    expect(result.code).toBe(0);
    const sarif = JSON.parse(result.stdout);
    expect(validateSarif(sarif)).toEqual([]);
    const located = sarif.runs[0].results.map((r: any) => [r.ruleId, r.level, r.locations[0].physicalLocation.artifactLocation.uri, r.locations[0].physicalLocation.region.startLine]);
    expect(located).toEqual([
      ['security', 'error', 'src/db.js', 5],
      ['security', 'note', 'src/db.js', 1],
    ]);
    // One call: one pipeline, one unit; the ignored lock file was never sent.
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0]!.body;
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(body).toMatchObject({ model: 'gpt-4o', temperature: 0 });
    const user = body.messages.at(-1).content as string;
    expect(user).toContain('Find security problems');
    expect(user).toMatch(/^5 \+ export const find/m);
    expect(user).not.toContain('package.lock');
  });

  it('shows the findings in markdown and exits 1 with --fail-on blocker', async () => {
    repo = featureRepo(SEED_CONFIG(server.url));
    server.setHandler(() => findingsReply([sqlFinding]));

    const md = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'markdown'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });
    const failing = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json', '--fail-on', 'blocker'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });

    expect(md.code).toBe(0);
    expect(md.stdout).toContain('SQL built from user input');
    expect(md.stdout).toContain('src/db.js:5');
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout).findings[0]).toMatchObject({ path: 'src/db.js', line: 5, severity: 'blocker', inDiff: true });
    server.setHandler(() => findingsReply([{ ...sqlFinding, severity: 'warning' }]));
    const warningOnly = await runCli(['review', '--base', 'main', '--dry-run', '--no-cache', '--format', 'json', '--fail-on', 'blocker'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });
    expect(warningOnly.code).toBe(0);
  });

  it('answers a re-run on the same diff from the cache, with no model call, unless --no-cache', async () => {
    repo = featureRepo(SEED_CONFIG(server.url));
    server.setHandler(() => findingsReply([sqlFinding]));
    const args = ['review', '--base', 'main', '--dry-run', '--format', 'json'];

    const first = await runCli(args, { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });
    const second = await runCli(args, { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });
    const forced = await runCli([...args, '--no-cache'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });

    expect(server.requests).toHaveLength(2);
    expect(JSON.parse(second.stdout).findings).toEqual(JSON.parse(first.stdout).findings);
    expect(JSON.parse(second.stdout).pipelines.find((p: { name: string }) => p.name === 'security')).toMatchObject({ calls: 0, cachedCalls: 1, promptTokens: 0 });
    expect(JSON.parse(forced.stdout).pipelines.find((p: { name: string }) => p.name === 'security')).toMatchObject({ calls: 1, cachedCalls: 0 });
    expect(repo.git('status', '--porcelain')).toBe('');
  });

  it('writes --output files next to the stdout format', async () => {
    repo = featureRepo(SEED_CONFIG(server.url));
    server.setHandler(() => findingsReply([sqlFinding]));

    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'text', '--output', 'sarif=out/loom.sarif', '--output', 'codequality=out/cq.json'], {
      cwd: repo.dir,
      env: { OPENAI_API_KEY: KEY },
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('SQL built from user input');
    expect(validateSarif(JSON.parse(readFileSync(join(repo.dir, 'out/loom.sarif'), 'utf8')))).toEqual([]);
    expect(JSON.parse(readFileSync(join(repo.dir, 'out/cq.json'), 'utf8'))[0].location).toEqual({ path: 'src/db.js', lines: { begin: 5 } });
  });

  // node:zlib is loaded, for the checksums of the compile cache (src/compile-cache.ts), not for HTTP.
  it('loads no module it does not use: node:http and node:https (calls go over sockets), node:tls (a model over plain HTTP), node:tty (nothing is a terminal), node:perf_hooks', async () => {
    repo = featureRepo(SEED_CONFIG(server.url));
    server.setHandler(() => findingsReply([sqlFinding]));
    // Node's own list of the built-in modules a process loaded, written as it exits.
    const dir = mkdtempSync(join(tmpdir(), 'loom-loaded-'));
    const listFile = join(dir, 'loaded.json');
    const preload = join(dir, 'list-loaded.mjs');
    writeFileSync(preload, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(listFile)}, JSON.stringify(process.moduleLoadList)));\n`);

    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'json'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY, NODE_OPTIONS: `--import=${preload}` } });

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).findings).toHaveLength(1);
    const loaded = JSON.parse(readFileSync(listFile, 'utf8')) as string[];
    expect(loaded).toContain('NativeModule net');
    expect(loaded.filter((m) => /^NativeModule (https?|tls|tty|perf_hooks)$/.test(m))).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  it('calls a model over HTTPS, trusting a private CA named in NODE_EXTRA_CA_CERTS and no certificate it cannot check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loom-tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    const secure = await startOpenAiServer(() => findingsReply([sqlFinding]), { tls: { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') } });
    try {
      repo = featureRepo(SEED_CONFIG(secure.url));
      const args = ['review', '--base', 'main', '--dry-run', '--format', 'json'];
      const trusted = await runCli(args, { cwd: repo.dir, env: { OPENAI_API_KEY: KEY, NODE_EXTRA_CA_CERTS: cert } });
      expect(trusted.code).toBe(0);
      expect(JSON.parse(trusted.stdout).findings).toHaveLength(1);
      expect(secure.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);

      const untrusted = await runCli([...args, '--no-cache'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY, NODE_EXTRA_CA_CERTS: '' } });
      expect(untrusted.code).toBe(3);
      // Refused at once (a certificate does not get better with retries), with what to do about it.
      expect(untrusted.stderr).toMatch(/connection failed \(DEPTH_ZERO_SELF_SIGNED_CERT\): the server's certificate is not trusted; .*NODE_EXTRA_CA_CERTS/);
      expect(untrusted.stderr).not.toMatch(/gave up after/);
      expect(secure.requests).toHaveLength(1);
    } finally {
      await secure.close();
      rmSync(dir, { recursive: true });
    }
  });

  it('still prints the report, lists the failure and exits 3 when every model call fails', async () => {
    repo = featureRepo(SEED_CONFIG(server.url));
    server.setHandler(() => ({ status: 500, json: { error: { message: 'model crashed' } } }));

    const result = await runCli(['review', '--base', 'main', '--dry-run', '--format', 'markdown'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });

    expect(result.code).toBe(3);
    expect(result.stdout).toContain('model crashed');
    expect(result.stderr).toMatch(/every model call failed/);
  });

  it('runs the built-in checks and says how to connect a model when none is configured', async () => {
    repo = featureRepo(null);
    repo.write({ 'src/keys.js': `export const k = "${'AKIA' + 'IOSFODNN7EXAMPLE'}";\n` });
    repo.commit('key');

    const result = await runCli(['review', '--base', 'main', '--format', 'markdown'], { cwd: repo.dir });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('AWS access key ID');
    expect(result.stdout).toContain('src/keys.js:1');
    expect(result.stdout).not.toContain('IOSFODNN7EXAMPLE');
    expect(result.stdout).toMatch(/No model is connected.*OPENAI\\?_API\\?_KEY/s);
    expect(server.requests).toHaveLength(0);
  });

  it('skips the model review with a visible notice above triggers.max_changes', async () => {
    repo = featureRepo(SEED_CONFIG(server.url).replace('max_changes: 1000', 'max_changes: 1'));

    const result = await runCli(['review', '--base', 'main', '--format', 'markdown'], { cwd: repo.dir, env: { OPENAI_API_KEY: KEY } });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Review skipped:.*above triggers\.max\\?_changes \(1\)/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('loom config check and --version (built CLI)', () => {
  it('names the line and column of each problem and exits 2', async () => {
    repo = makeRepo({ '.loom/config.yaml': 'models:\n  default:\n    model: gpt-4o\n    temprature: 0.2\npipelines:\n  - name: review\n    severity: critical\n' });

    const result = await runCli(['config', 'check'], { cwd: repo.dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\.loom\/config\.yaml:4:5: .*temprature.*temperature/);
    expect(result.stderr).toMatch(/\.loom\/config\.yaml:7:15: .*severity/);
  });

  it('exits 0 for a valid config and prints the version', async () => {
    repo = makeRepo({ '.loom/config.yaml': 'pipelines:\n  - name: review\n    template: review\n' });

    const check = await runCli(['config', 'check'], { cwd: repo.dir });
    const version = await runCli(['--version'], { cwd: repo.dir });
    const short = await runCli(['-V'], { cwd: repo.dir });
    const help = await runCli(['--help'], { cwd: repo.dir });

    expect(check.code).toBe(0);
    const expected = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).version;
    expect([version.code, version.stdout]).toEqual([0, `${expected}\n`]);
    expect([short.code, short.stdout]).toEqual([0, `${expected}\n`]);
    // The rest of the CLI still loads behind the --version shortcut.
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('review');
  });
});
