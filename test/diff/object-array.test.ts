import { describe, expect, it } from 'vitest';
import { objectArray } from '../../src/diff/object-array.ts';

describe('objectArray', () => {
  it('is an empty array that takes objects like any other', () => {
    const list = objectArray<{ n: number }>();
    expect(Array.isArray(list)).toBe(true);
    expect(list).toEqual([]);
    list.push({ n: 1 }, { n: 2 });
    expect(list.map((item) => item.n)).toEqual([1, 2]);
  });

  it('is a new array each time: filling one leaves the next empty', () => {
    const first = objectArray<object>();
    first.push({});
    const second = objectArray<object>();
    expect(second).not.toBe(first);
    expect(second).toHaveLength(0);
  });
});
