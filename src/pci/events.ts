/** A typed listener list: `add` returns the function that removes the listener again. */
export class Listeners<A extends unknown[]> {
  private readonly list: Array<(...args: A) => void> = [];

  add(cb: (...args: A) => void): () => void {
    this.list.push(cb);
    return () => {
      const i = this.list.indexOf(cb);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  emit(...args: A): void {
    for (const cb of [...this.list]) cb(...args);
  }
}
