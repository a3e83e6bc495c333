import { describe, expect, it } from 'vitest';
import { FORMAT_IDS, formats, isFormatId } from '../../src/report/formats/index.ts';
import type { Report } from '../../src/report/report.ts';
import { makeReport } from '../helpers/make-report.ts';
import { richReport } from './fixtures.ts';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('formats', () => {
  it('has one formatter per format id', () => {
    expect(Object.keys(formats)).toEqual([...FORMAT_IDS]);
    expect(FORMAT_IDS).toEqual(['text', 'markdown', 'json', 'sarif', 'codequality']);
  });

  it('recognises format ids', () => {
    expect(FORMAT_IDS.every(isFormatId)).toBe(true);
    expect(isFormatId('html')).toBe(false);
    expect(isFormatId('toString')).toBe(false);
  });

  it.each(FORMAT_IDS)('%s is a pure function of a frozen report, ending with a newline', (id) => {
    for (const make of [makeReport, richReport] as (() => Report)[]) {
      const report = deepFreeze(make());
      const out = formats[id](report, { color: true });
      expect(out.endsWith('\n')).toBe(true);
      expect(formats[id](make(), { color: true })).toBe(out);
    }
  });

  it('gives machine formats parseable JSON', () => {
    for (const id of ['json', 'sarif', 'codequality'] as const) expect(() => JSON.parse(formats[id](richReport()))).not.toThrow();
  });
});
