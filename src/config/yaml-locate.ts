import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type ConfigPath = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

interface Found {
  /** The node at the path, or the deepest ancestor that exists. */
  node: Node | null;
  /** The key of the pair holding `node`, when it sits in a map. */
  key: Node | null;
  /** True when the whole path exists in the document. */
  complete: boolean;
}

function walk(doc: Document, path: ConfigPath): Found {
  let node = doc.contents as Node | null;
  let key: Node | null = null;
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? node;
    let next: Node | null | undefined;
    let nextKey: Node | null = null;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      next = pair ? ((pair.value as Node | null) ?? null) : undefined;
      nextKey = pair ? (pair.key as Node) : null;
      // `key:` with nothing after it has no value node; the key is still the place to point at.
      if (pair && next === null) return { node: nextKey, key: nextKey, complete: index === path.length - 1 };
    } else if (isSeq(node) && typeof segment === 'number') {
      next = (node.items[segment] as Node | null | undefined) ?? undefined;
    }
    if (next === undefined || next === null) return { node, key, complete: false };
    node = next;
    key = nextKey;
  }
  return { node, key, complete: true };
}

const START: Position = { line: 1, col: 1 };

function positionOf(node: Node | null, lines: LineCounter): Position | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : lines.linePos(offset);
}

/**
 * Where the value at `path` is written; for a path that is not in the file (a missing required key, a
 * default that applies) the nearest ancestor that is. An empty value points at its key.
 */
export function locateValue(doc: Document, lines: LineCounter, path: ConfigPath): Position {
  const found = walk(doc, path);
  const node = found.node;
  if (isScalar(node) && node.value === null && node.range && node.range[0] === node.range[1] && found.key) {
    return positionOf(found.key, lines) ?? START;
  }
  return positionOf(node, lines) ?? START;
}

/** Where the key `name` of the map at `mapPath` is written (for unknown or badly named keys). */
export function locateKey(doc: Document, lines: LineCounter, mapPath: ConfigPath, name: string): Position {
  const found = walk(doc, [...mapPath, name]);
  if (found.complete && found.key) return positionOf(found.key, lines) ?? START;
  return locateValue(doc, lines, mapPath);
}

/** Whether the file itself sets `path` (as opposed to a schema default filling it in). */
export function isWritten(doc: Document, path: ConfigPath): boolean {
  return walk(doc, path).complete;
}
