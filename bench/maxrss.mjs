// Runs a script as if it were the main module and reports the process's peak resident memory on exit
// (the fallback when /usr/bin/time is not installed). Usage: node maxrss.mjs SCRIPT [ARGS...]
import { pathToFileURL } from 'node:url';

const [script, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], script, ...args];
process.on('exit', () => process.stderr.write(`\nLOOM_BENCH_MAXRSS_KB=${process.resourceUsage().maxRSS}\n`));
await import(pathToFileURL(script).href);
