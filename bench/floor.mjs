// The floor under (a): what reading the diff, counting its tokens and sending it cost with nothing else done.
// `node bench/floor.mjs <loom dist dir> <model base url> <from> <to>`, run in the repository.
//
// git's output is read through a pipe, cut at line ends into pieces of about 64 KB that a worker thread counts
// with loom's own tokenizer (the build's chunk that exports importEncoding), and gathered into parts of about
// 100 KB that are posted to the model once per pipeline as soon as each is complete, eight requests at a time over
// eight kept sockets (the request written straight to the socket and the answer read by its Content-Length).
// No parsing, secret masking, packing to a budget, rendering or report: a review that does those too cannot be
// faster than this, on the same machine, in the same run.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const PIECE_CHARS = 64 * 1024;
const PART_CHARS = 100_000;
const PIPELINES = ['review', 'security'];
const CONCURRENCY = 8;

/** The chunk of a loom build that holds its tokenizer. */
function tokenizerChunk(dist) {
  for (const name of readdirSync(dist)) {
    // esbuild's export table of a CommonJS chunk, wherever importEncoding stands in it.
    if (name.endsWith('.cjs') && /[{,]importEncoding:\(\)=>importEncoding[,}]/.test(readFileSync(join(dist, name), 'utf8'))) return join(dist, name);
  }
  throw new Error(`no chunk exporting importEncoding in ${dist}`);
}

if (!isMainThread) {
  const { importEncoding } = createRequire(import.meta.url)(workerData.chunk);
  const encoding = await importEncoding('o200k_base');
  parentPort.on('message', (text) => {
    let tokens = 0;
    for (const count of encoding.countMany(text.split(/(?<=\n)/), true)) tokens += count;
    parentPort.postMessage(tokens);
  });
} else {
  const [dist, baseUrl, from, to] = process.argv.slice(2);
  const worker = new Worker(new URL(import.meta.url), { workerData: { chunk: tokenizerChunk(dist) } });
  let tokens = 0;
  let asked = 0;
  let answered = 0;
  let allCounted;
  const counted = new Promise((resolve) => (allCounted = resolve));
  let reading = true;
  worker.on('message', (n) => {
    tokens += n;
    if (++answered === asked && !reading) allCounted();
  });
  const count = (text) => {
    asked++;
    worker.postMessage(text);
  };

  const url = new URL(`${baseUrl.replace(/\/$/, '')}/chat/completions`);
  // Eight kept connections, each one request at a time, written straight to the socket (as loom's own client
  // does): the fake model always answers with a Content-Length.
  const free = [];
  const waiting = [];
  const connection = () => {
    const socket = connect(Number(url.port) || 80, url.hostname);
    socket.setNoDelay(true);
    let got = Buffer.alloc(0);
    let done;
    socket.on('data', (data) => {
      got = got.length > 0 ? Buffer.concat([got, data]) : data;
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(got.toString('latin1', 0, end))?.[1] ?? 0);
      if (got.length < end + 4 + length) return;
      got = got.subarray(end + 4 + length);
      done();
    });
    const send = (head, body) =>
      new Promise((resolve) => {
        done = resolve;
        socket.cork();
        socket.write(head);
        socket.write(body);
        socket.uncork();
      });
    return { send };
  };
  for (let i = 0; i < CONCURRENCY; i++) free.push(connection());
  // The part is escaped once and shared by its requests, as loom does.
  const post = async (quoted, pipeline) => {
    const json = Buffer.from(`{"model":"gpt-4o","messages":[{"role":"system","content":${JSON.stringify(pipeline)}},{"role":"user","content":${quoted}}]}`);
    const head = `POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: ${json.length}\r\n\r\n`;
    const conn = free.pop() ?? (await new Promise((resolve) => waiting.push(resolve)));
    await conn.send(head, json);
    const next = waiting.shift();
    if (next) next(conn);
    else free.push(conn);
  };
  const posts = [];
  let part = '';
  const send = (text) => {
    const quoted = JSON.stringify(text);
    for (const pipeline of PIPELINES) posts.push(post(quoted, pipeline));
  };

  const git = spawn('git', ['diff', '--no-color', '--find-renames', from, to], { stdio: ['ignore', 'pipe', 'inherit'] });
  git.stdout.setEncoding('utf8');
  let carry = '';
  git.stdout.on('data', (chunk) => {
    carry += chunk;
    if (carry.length < PIECE_CHARS) return;
    const cut = carry.lastIndexOf('\n') + 1;
    const piece = carry.slice(0, cut);
    carry = carry.slice(cut);
    count(piece);
    part += piece;
    if (part.length >= PART_CHARS) {
      send(part);
      part = '';
    }
  });
  const code = await new Promise((resolve) => git.on('close', resolve));
  if (code !== 0) throw new Error(`git diff exited ${code}`);
  if (carry) count(carry);
  part += carry;
  if (part) send(part);
  reading = false;
  if (answered === asked) allCounted();
  await Promise.all([counted, ...posts]);
  process.stdout.write(`${JSON.stringify({ tokens, requests: posts.length })}\n`);
  process.exit(0);
}
