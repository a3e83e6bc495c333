import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../src/config/did-you-mean.ts';

describe('didYouMean', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('modles', 'models')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('picks the closest plausible candidate and nothing for unrelated input', () => {
    const keys = ['models', 'pipelines', 'triggers', 'checks', 'fail_on', 'concurrency', 'guidelines'];
    expect(didYouMean('modles', keys)).toBe('models');
    expect(didYouMean('fail-on', keys)).toBe('fail_on');
    expect(didYouMean('Pipeline', keys)).toBe('pipelines');
    expect(didYouMean('x', keys)).toBeUndefined();
    expect(didYouMean('banana', keys)).toBeUndefined();
  });
});
