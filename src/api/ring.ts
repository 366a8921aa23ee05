/** The newest `capacity` items; older ones fall off and are counted. */
export class Ring<T> {
  private items: T[] = [];
  evicted = 0;
  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) {
      this.items.shift();
      this.evicted++;
    }
  }

  /** Newest first. */
  newest(): T[] {
    return [...this.items].reverse();
  }

  get length(): number {
    return this.items.length;
  }
}
