/**
 * Replace a method of one of v86's objects on that instance only: the
 * replacement becomes an own property shadowing the prototype's method (or
 * replaces an own one), and the undo puts back exactly what was there.
 */
export function shadowMethod<T extends object, K extends keyof T>(obj: T, key: K, replacement: T[K]): () => void {
  const hadOwn = Object.prototype.hasOwnProperty.call(obj, key);
  const before = obj[key];
  obj[key] = replacement;
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    if (hadOwn) obj[key] = before;
    else delete obj[key];
  };
}

/** Undo several shadows, last first. */
export function undoAll(undos: ReadonlyArray<() => void>): void {
  for (let i = undos.length - 1; i >= 0; i--) undos[i]!();
}
