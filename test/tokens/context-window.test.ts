import { describe, expect, it } from 'vitest';
import { contextWindowFor, DEFAULT_CONTEXT_WINDOW, inputBudget, safetyMargin } from '../../src/tokens/context-window.ts';

describe('contextWindowFor', () => {
  it.each([
    ['gpt-4o', 128_000],
    ['gpt-4o-mini', 128_000],
    ['gpt-4.1', 128_000],
    ['gpt-5', 272_000],
    ['gpt-4-turbo', 128_000],
    ['gpt-4-0125-preview', 128_000],
    ['gpt-4-32k', 32_768],
    ['gpt-4', 8_192],
    ['gpt-3.5-turbo', 16_385],
    ['o1-mini', 128_000],
    ['o3-mini', 200_000],
    ['o4-mini', 200_000],
    ['claude-3-5-sonnet-20241022', 200_000],
    ['anthropic/claude-sonnet-4', 200_000],
    ['gemini-1.5-pro', 1_000_000],
    ['gemini-pro', 32_768],
    ['llama3.1:8b', 128_000],
    ['meta-llama/Llama-3.3-70B-Instruct', 128_000],
    ['llama3:8b', 8_192],
    ['codellama:13b', 16_384],
    ['qwen2.5-coder:7b', 32_768],
    ['mistral:7b', 32_768],
    ['mistral-large-latest', 128_000],
    ['deepseek-chat', 64_000],
    ['deepseek-coder:6.7b', 16_384],
    ['my-private-model', DEFAULT_CONTEXT_WINDOW],
  ])('%s -> %i', (model, window) => {
    expect(contextWindowFor({ model })).toBe(window);
  });

  it('prefers the configured context_window', () => {
    expect(contextWindowFor({ model: 'gpt-4o', context_window: 8_000 })).toBe(8_000);
    expect(contextWindowFor({ model: 'unknown', context_window: 500_000 })).toBe(500_000);
  });
});

describe('inputBudget', () => {
  it('is the window minus the answer, the template and the safety margin', () => {
    expect(safetyMargin(32_000)).toBe(384);
    expect(inputBudget({ model: 'x', context_window: 32_000, max_tokens: 4_000 }, 1_500)).toBe(32_000 - 4_000 - 1_500 - 384);
    expect(inputBudget({ model: 'gpt-4o', max_tokens: 4_000 }, 0)).toBe(128_000 - 4_000 - 1_344);
  });

  it('is 0 when the template and answer leave no room', () => {
    expect(inputBudget({ model: 'x', context_window: 4_000, max_tokens: 4_000 }, 100)).toBe(0);
  });
});
