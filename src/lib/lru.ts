/**
 * A bounded map that forgets what has not been used for a while. Two
 * generations: entries live in `young`; when it fills, it becomes `old` and the
 * previous `old` is dropped; a hit in `old` moves the entry back to `young`.
 * A hit in `young` is a single Map lookup (a strict LRU reorders on every hit,
 * which costs more than the lookup on a hot path). At most `capacity` entries.
 */
export class Lru<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.put(key, aged);
    }
    return aged;
  }

  set(key: K, value: V): void {
    this.old.delete(key);
    this.put(key, value);
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  deleteWhere(predicate: (value: V, key: K) => boolean): void {
    for (const map of [this.young, this.old]) for (const [key, value] of map) if (predicate(value, key)) map.delete(key);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private put(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
