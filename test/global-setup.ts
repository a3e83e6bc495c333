import { execFileSync } from 'node:child_process';

/** The end-to-end tests run the built CLI as a process, so the suite builds it first (about a second). */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/tsup/dist/cli-default.js', '--silent'], { stdio: 'inherit' });
}
