/**
 * A chat request body as JSON bytes. Each pipeline sends the same unit's diff, 100 KB or more, inside its own
 * prompt: escaping and encoding it once per unit rather than once per call took a tenth of the main thread's time
 * on a large pull request. `shared` is that text; wherever a message holds it verbatim, its bytes are reused.
 * The result parses to exactly what JSON.stringify(body) would give.
 */
export function encodeBody(body: { messages: readonly { role: string; content: string }[] }, shared?: string): Buffer {
  if (shared === undefined || shared.length < SHARED_MIN_CHARS) return Buffer.from(JSON.stringify(body), 'utf8');
  const { messages, ...rest } = body;
  const parts: Buffer[] = [];
  let text = '{"messages":[';
  messages.forEach((message, i) => {
    text += `${i > 0 ? ',' : ''}{"role":${JSON.stringify(message.role)},"content":`;
    const at = message.content.indexOf(shared);
    if (at < 0) {
      text += `${JSON.stringify(message.content)}}`;
      return;
    }
    parts.push(Buffer.from(`${text}"${escaped(message.content.slice(0, at))}`, 'utf8'), sharedBytes(shared));
    text = `${escaped(message.content.slice(at + shared.length))}"}`;
  });
  const tail = JSON.stringify(rest);
  parts.push(Buffer.from(`${text}]${tail === '{}' ? '}' : `,${tail.slice(1)}`}`, 'utf8'));
  return Buffer.concat(parts);
}

/** Below this a shared text is not worth looking for. */
const SHARED_MIN_CHARS = 4096;
/** Shared texts kept encoded: the units whose calls are in flight, with room to spare. */
const KEPT = 16;
const encoded = new Map<string, Buffer>();

function sharedBytes(shared: string): Buffer {
  let bytes = encoded.get(shared);
  if (!bytes) {
    bytes = Buffer.from(escaped(shared), 'utf8');
    if (encoded.size >= KEPT) encoded.delete(encoded.keys().next().value!);
    encoded.set(shared, bytes);
  }
  return bytes;
}

/** A string's JSON form without its quotes: JSON escapes characters one by one, so the pieces of a text join up. */
function escaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
