import { describe, expect, it } from 'vitest';
import { isLocalBaseUrl, resolveApiKey } from '../../src/llm/api-key.ts';
import { modelAt } from './support.ts';

describe('isLocalBaseUrl', () => {
  it.each([
    'http://127.0.0.1:11434/v1',
    'http://127.8.9.10/v1',
    'http://localhost:8080/v1',
    'http://[::1]:8000/v1',
    'http://10.1.2.3/v1',
    'http://192.168.0.20:1234/v1',
    'http://172.16.0.1/v1',
    'http://172.31.255.255/v1',
    'http://gpu-box.local:11434/v1',
  ])('%s is local', (url) => {
    expect(isLocalBaseUrl(url)).toBe(true);
  });

  it.each(['https://api.openai.com/v1', 'http://172.32.0.1/v1', 'http://172.15.0.1/v1', 'http://8.8.8.8/v1', 'https://localhost.example.com/v1', 'not a url'])(
    '%s is not local',
    (url) => {
      expect(isLocalBaseUrl(url)).toBe(false);
    },
  );
});

describe('resolveApiKey', () => {
  it('reads the configured variable and trims a trailing newline', () => {
    expect(resolveApiKey('default', modelAt('https://api.openai.com/v1'), { OPENAI_API_KEY: 'sk-abc\n' })).toEqual({ key: 'sk-abc', placeholder: false });
  });
  it('treats an empty variable as unset', () => {
    expect(() => resolveApiKey('default', modelAt('https://api.openai.com/v1'), { OPENAI_API_KEY: '' })).toThrow('set OPENAI_API_KEY');
  });
});
