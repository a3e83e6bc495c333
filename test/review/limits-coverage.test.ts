import { describe, expect, it } from 'vitest';
import { PipelineConfig } from '../../src/config/schema.ts';
import type { PreparedPipeline } from '../../src/pipelines/run.ts';
import { coverageOf } from '../../src/review/coverage.ts';
import { applyLimits } from '../../src/review/limits.ts';
import { byteCounter } from '../helpers/byte-counter.ts';
import { planUnits } from '../../src/units/plan.ts';
import type { ReviewUnit } from '../../src/units/types.ts';
import { fileDiff } from '../helpers/file-diff.ts';

const files = [
  fileDiff('src/a.ts', [{ oldStart: 1, newStart: 1, lines: [' x', '+a1', '+a2', '-a3'] }]),
  fileDiff('src/b.ts', [{ oldStart: 1, newStart: 1, lines: ['+b1'] }]),
  fileDiff('src/gone.ts', [{ oldStart: 1, newStart: 0, lines: ['-g1', '-g2'] }], { status: 'deleted' }),
  fileDiff('yarn.lock', [{ oldStart: 1, newStart: 1, lines: ['+l1', '+l2', '+l3'] }]),
];
const units: ReviewUnit[] = [
  { id: 'u1', files: [files[0]!], tokens: 100 },
  { id: 'u2', files: [files[1]!], tokens: 100 },
  { id: 'u3', files: [{ ...files[2]!, collapsed: true }], tokens: 10 },
];
const pipeline = (name: string, over: Partial<PreparedPipeline> = {}): PreparedPipeline => ({
  config: PipelineConfig.parse({ name }),
  template: { source: 't', text: '' },
  system: { source: 's', text: '' },
  clients: [],
  units,
  ...over,
});

describe('applyLimits', () => {
  it('keeps units in priority order, one pipeline after the other, and reports the rest as not reviewed', () => {
    const { pipelines, capped } = applyLimits([pipeline('one'), pipeline('two')], { max_calls: 3 }, new Map());

    expect(pipelines.map((p) => p.units.map((u) => u.id))).toEqual([['u1', 'u2'], ['u1']]);
    expect(capped).toEqual([{ pipeline: 'two', files: ['src/b.ts'], reason: 'not reviewed: limits.max_calls (3) was reached' }, { pipeline: 'one', files: ['src/gone.ts'], reason: 'not reviewed: limits.max_calls (3) was reached' }, { pipeline: 'two', files: ['src/gone.ts'], reason: 'not reviewed: limits.max_calls (3) was reached' }]);
  });

  it('counts the template of every call against max_prompt_tokens', () => {
    const { pipelines, capped } = applyLimits([pipeline('one')], { max_calls: 100, max_prompt_tokens: 250 }, new Map([['one', 20]]));

    expect(pipelines[0]!.units.map((u) => u.id)).toEqual(['u1', 'u2']);
    expect(capped.map((c) => c.reason)).toEqual(['not reviewed: limits.max_prompt_tokens (250) was reached']);
  });
});

describe('coverageOf', () => {
  it('adds up reviewed, summarised, skipped and not-reviewed lines to the changed lines', () => {
    const cov = coverageOf(files, [{ path: 'yarn.lock', reason: 'skip_paths' }], [pipeline('one')], [{ pipeline: 'one', unit: 'u2', files: ['src/b.ts'], reason: 'x' }]);

    expect(cov).toEqual({
      filesChanged: 4,
      filesReviewed: 2,
      filesSkipped: [{ path: 'yarn.lock', reason: 'skip_paths' }],
      linesChanged: 9,
      linesReviewed: 3,
      linesSummarised: 2,
      linesSkipped: 3,
      linesNotReviewed: 1,
    });
  });

  it('counts a line as reviewed when any pipeline answered for it', () => {
    const cov = coverageOf(files, [], [pipeline('one'), pipeline('two')], [{ pipeline: 'one', unit: 'u1', files: ['src/a.ts'], reason: 'x' }]);

    expect(cov.linesReviewed).toBe(4);
    expect(cov.linesNotReviewed).toBe(3);
  });

  it('adds up the units of one plan to the same counts as following every line', () => {
    const many = [...files, ...Array.from({ length: 30 }, (_, i) => fileDiff(`src/m${i}.ts`, [{ oldStart: 1, newStart: 1, lines: [' x', `+m${i}`, `-o${i}`, ' y'] }]))];
    const plan = planUnits(many, { budgetTokens: 300, counter: byteCounter(), skipPaths: ['*.lock'] });
    const [first, second] = plan.units;
    const failures = [
      { pipeline: 'one', unit: first!.id, files: [], reason: 'x' },
      { pipeline: 'two', unit: first!.id, files: [], reason: 'x' },
      { pipeline: 'one', unit: second!.id, files: [], reason: 'x' },
    ];
    const byPlan = coverageOf(many, plan.skipped, [pipeline('one', { units: plan.units }), pipeline('two', { units: plan.units })], failures);
    // Copies are not known as units of one plan: their lines are followed one by one.
    const copies = plan.units.map((unit) => ({ ...unit }));
    const byLine = coverageOf(many, plan.skipped, [pipeline('one', { units: copies }), pipeline('two', { units: copies })], failures);

    expect(plan.units.length).toBeGreaterThan(3);
    expect(byPlan).toEqual(byLine);
    expect(byPlan.linesNotReviewed).toBe(first!.lines!.reviewed + first!.lines!.summarised);
  });
});
