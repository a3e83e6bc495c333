import { describe, expect, it } from 'vitest';
import { painter } from '../../src/report/formats/ansi.ts';

describe('painter', () => {
  it('leaves text as it is without colour', () => {
    expect(painter(false)('BLOCKER', 'red', 'bold')).toBe('BLOCKER');
  });

  it('opens styles outermost first and closes them innermost first, as chalk prints them at level 1', () => {
    const paint = painter(true);
    expect(paint('BLOCKER', 'red', 'bold')).toBe('\u001b[31m\u001b[1mBLOCKER\u001b[22m\u001b[39m');
    expect(paint('src/a.ts', 'bold', 'underline')).toBe('\u001b[1m\u001b[4msrc/a.ts\u001b[24m\u001b[22m');
    expect(paint('│', 'dim')).toBe('\u001b[2m│\u001b[22m');
    expect(paint('x', 'cyan')).toBe('\u001b[36mx\u001b[39m');
  });

  it('prints nothing for empty text, as chalk does', () => {
    expect(painter(true)('', 'green')).toBe('');
  });
});
