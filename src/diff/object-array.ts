/**
 * An empty array for objects (hunks, lines), made so that V8 gives it the same hidden class as one that already
 * holds objects. An empty literal `[]` starts as an array of small integers and changes class at its first object;
 * one that stays empty (a file with no hunks, an elided hunk that kept no line) keeps the integer class, and a
 * loop optimized on arrays of objects is thrown out of its optimized code ("wrong map") and compiled again when it
 * first meets one. A class only ever widens: the placeholder's class stays after it is removed.
 */
export function objectArray<T extends object>(): T[] {
  const list: object[] = [PLACEHOLDER];
  list.pop();
  return list as T[];
}
const PLACEHOLDER = {};
