/**
 * A long text several requests carry (a unit's diff). Where the prompt renderer knows them, `system` and `user` are
 * the pieces of that message around each copy of the text (the message is `pieces` joined with `text`): the
 * message is then built from them, never searched for the text, which would make its 100 KB string flat first.
 */
export interface SharedText {
  text: string;
  system?: readonly string[];
  user?: readonly string[];
}

/**
 * A chat request body as JSON bytes. Each pipeline sends the same unit's diff, 100 KB or more, inside its own
 * prompt: escaping and encoding it once per unit rather than once per call took a tenth of the main thread's time
 * on a large pull request. Wherever a message holds `shared.text` verbatim, its bytes are reused.
 * The parts, sent one after the other, parse to exactly what JSON.stringify(body) would give. They are not joined:
 * a joined copy of every body was another 15 MB to allocate and copy on a 7.6 MB pull request with two pipelines.
 */
export function encodeBody(body: { messages: readonly { role: string; content: string }[] }, shared?: SharedText): Buffer[] {
  if (shared === undefined || shared.text.length < SHARED_MIN_CHARS) return [Buffer.from(JSON.stringify(body), 'utf8')];
  const { messages, ...rest } = body;
  const parts: Buffer[] = [];
  let text = '{"messages":[';
  const seen = new Set<string>();
  messages.forEach((message, i) => {
    text += `${i > 0 ? ',' : ''}{"role":${JSON.stringify(message.role)},"content":"`;
    // The first system and user messages are the rendered prompts; later turns are the model's and loom's own.
    const known = seen.has(message.role) ? undefined : message.role === 'system' ? shared.system : message.role === 'user' ? shared.user : undefined;
    seen.add(message.role);
    const pieces = known && joinedLength(known, shared.text) === message.content.length ? known : around(message.content, shared.text);
    pieces.forEach((piece, k) => {
      if (k === 0) {
        text += escaped(piece);
        return;
      }
      parts.push(Buffer.from(text, 'utf8'), sharedBytes(shared.text));
      text = escaped(piece);
    });
    text += '"}';
  });
  const tail = JSON.stringify(rest);
  parts.push(Buffer.from(`${text}]${tail === '{}' ? '}' : `,${tail.slice(1)}`}`, 'utf8'));
  return parts;
}

/** The text around the first copy of `shared` in `content`, or all of it. */
function around(content: string, shared: string): readonly string[] {
  const at = content.indexOf(shared);
  return at < 0 ? [content] : [content.slice(0, at), content.slice(at + shared.length)];
}

function joinedLength(pieces: readonly string[], shared: string): number {
  let length = shared.length * (pieces.length - 1);
  for (const piece of pieces) length += piece.length;
  return length;
}

/** Below this a shared text is not worth looking for. */
const SHARED_MIN_CHARS = 4096;
/** Shared texts kept encoded: the units whose calls are in flight, with room to spare. */
const KEPT = 16;
const encoded = new Map<string, Buffer>();

function sharedBytes(shared: string): Buffer {
  let bytes = encoded.get(shared);
  if (!bytes) {
    // The quotes are cut off the bytes, not the string: a slice of 100 KB of text is copied again when encoded.
    const quoted = Buffer.from(JSON.stringify(shared), 'utf8');
    bytes = quoted.subarray(1, quoted.length - 1);
    if (encoded.size >= KEPT) encoded.delete(encoded.keys().next().value!);
    encoded.set(shared, bytes);
  }
  return bytes;
}

/** A string's JSON form without its quotes: JSON escapes characters one by one, so the pieces of a text join up. */
function escaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
