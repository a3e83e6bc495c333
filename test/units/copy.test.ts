import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { mapPacked } from '../../src/units/copy.ts';

// Arrays that units carry must stay packed once the code that builds them is optimized (see copy.ts): loops over
// hunks and lines are compiled for the parser's packed arrays and are thrown out of optimized code by a holey one.
// V8's natives let the test optimize a builder now and ask what it built, instead of waiting for V8 to get there.
setFlagsFromString('--allow-natives-syntax');
const isHoley = new Function('array', 'return %HasHoleyElements(array)') as (array: unknown[]) => boolean;
/** Calls `build` twice for feedback, then once more as optimized code, and returns what that last call built. */
const builtOptimized = new Function(
  'builder',
  'build',
  '%PrepareFunctionForOptimization(builder); build(); build(); %OptimizeFunctionOnNextCall(builder); return build();',
) as <T>(builder: (...args: never[]) => unknown, build: () => T) => T;

const lines = Array.from({ length: 50 }, (_, i) => ({ kind: 'context' as const, oldLine: i + 1, newLine: i + 1, text: `line ${i}` }));
const packedCopy = <T>(items: readonly T[]): T[] => {
  const out: T[] = [];
  for (const item of items) out.push(item);
  return out;
};

describe('arrays units carry', () => {
  it('the probe sees what Array.prototype.map builds in optimized code: a holey array', () => {
    const mapped = (items: typeof lines) => items.map((line) => line);
    const source = packedCopy(lines);
    expect(isHoley(source)).toBe(false);
    expect(isHoley(mapped(source))).toBe(false);
    expect(isHoley(builtOptimized(mapped, () => mapped(source)))).toBe(true);
  });

  it('mapPacked builds a packed array, optimized or not', () => {
    const source = packedCopy(lines);
    const same = (line: (typeof lines)[number]) => line;
    expect(isHoley(mapPacked(source, same))).toBe(false);
    const optimized = builtOptimized(mapPacked, () => mapPacked(source, same));
    expect(isHoley(optimized)).toBe(false);
    expect(optimized).toEqual(lines);
  });
});
