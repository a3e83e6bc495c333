import { readQuoted, unquotePath } from './quoted-path.ts';

/**
 * What the extended header of one `diff --git` section says. parse-diff ignores most of it (renames,
 * copies, binary markers) and mangles quoted paths, so loom reads the header itself.
 */
export interface FileHeader {
  gitOld?: string;
  gitNew?: string;
  /** From `--- a/x` / `+++ b/x`; null for /dev/null. */
  minusPath?: string | null;
  plusPath?: string | null;
  renameFrom?: string;
  renameTo?: string;
  copyFrom?: string;
  copyTo?: string;
  newFile: boolean;
  deletedFile: boolean;
  oldMode?: string;
  newMode?: string;
  binary: boolean;
}

const stripPrefix = (path: string, prefix: string): string => (path.startsWith(prefix) ? path.slice(prefix.length) : path);

/** Paths from `diff --git a/X b/Y`. Unquoted names with spaces are ambiguous; equal halves are the common case. */
export function parseGitLine(rest: string): { oldPath?: string; newPath?: string } {
  let a: string | undefined;
  let b: string | undefined;
  if (rest.startsWith('"')) {
    const first = readQuoted(rest);
    if (first) {
      a = first.value;
      b = unquotePath(rest.slice(first.end + 1));
    }
  } else if (rest.endsWith('"')) {
    const at = rest.lastIndexOf(' "b/');
    if (at > 0) {
      a = rest.slice(0, at);
      b = unquotePath(rest.slice(at + 1));
    }
  } else {
    const half = (rest.length - 1) / 2;
    if (Number.isInteger(half) && rest[half] === ' ' && rest.slice(2, half) === rest.slice(half + 3)) {
      a = rest.slice(0, half);
      b = rest.slice(half + 1);
    } else {
      // Different names (a rename): the rename lines are authoritative, this is only a fallback.
      const at = rest.indexOf(' b/');
      if (at > 0) {
        a = rest.slice(0, at);
        b = rest.slice(at + 1);
      }
    }
  }
  return { oldPath: a === undefined ? undefined : stripPrefix(a, 'a/'), newPath: b === undefined ? undefined : stripPrefix(b, 'b/') };
}

/** Path from a `---` or `+++` line; null for /dev/null. Git appends a tab when the name has a space. */
function parseMarkerPath(value: string, prefix: string): string | null {
  let path: string;
  if (value.startsWith('"')) path = readQuoted(value)?.value ?? value;
  else {
    const tab = value.indexOf('\t');
    path = tab >= 0 ? value.slice(0, tab) : value;
  }
  return path === '/dev/null' ? null : stripPrefix(path, prefix);
}

const after = (line: string, prefix: string): string | undefined => (line.startsWith(prefix) ? line.slice(prefix.length) : undefined);

/** Reads one header line into `header`. */
export function readHeaderLine(header: FileHeader, line: string): void {
  let v: string | undefined;
  if ((v = after(line, 'diff --git ')) !== undefined) {
    const paths = parseGitLine(v);
    header.gitOld = paths.oldPath;
    header.gitNew = paths.newPath;
  } else if ((v = after(line, '--- ')) !== undefined) header.minusPath = parseMarkerPath(v, 'a/');
  else if ((v = after(line, '+++ ')) !== undefined) header.plusPath = parseMarkerPath(v, 'b/');
  else if ((v = after(line, 'rename from ')) !== undefined) header.renameFrom = unquotePath(v);
  else if ((v = after(line, 'rename to ')) !== undefined) header.renameTo = unquotePath(v);
  else if ((v = after(line, 'copy from ')) !== undefined) header.copyFrom = unquotePath(v);
  else if ((v = after(line, 'copy to ')) !== undefined) header.copyTo = unquotePath(v);
  else if ((v = after(line, 'new file mode ')) !== undefined) {
    header.newFile = true;
    header.newMode = v;
  } else if ((v = after(line, 'deleted file mode ')) !== undefined) {
    header.deletedFile = true;
    header.oldMode = v;
  } else if ((v = after(line, 'old mode ')) !== undefined) header.oldMode = v;
  else if ((v = after(line, 'new mode ')) !== undefined) header.newMode = v;
  else if ((v = after(line, 'index ')) !== undefined) {
    // `index abc..def 100644`: the mode is unchanged on both sides.
    const mode = v.split(' ')[1];
    if (mode) {
      header.oldMode ??= mode;
      header.newMode ??= mode;
    }
  } else if (line.startsWith('Binary files ') || line === 'GIT binary patch') header.binary = true;
}

export function emptyHeader(): FileHeader {
  return { newFile: false, deletedFile: false, binary: false };
}
