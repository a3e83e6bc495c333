import { VERSION } from './version.ts';

// `loom --version` is what scripts and CI steps call to check the install: it answers before commander (the
// rest of the CLI, in program.ts) is even loaded. Anything else, including `-V` with other arguments, goes there.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${VERSION}\n`);
else void import('./program.ts');
