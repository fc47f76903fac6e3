/**
 * Which Particle events an integration wants (SPEC §7): a topic is an event
 * name; a trailing `*` makes it a prefix; `*` alone, or no topics, is every event.
 */
export class EventFilter {
  readonly #names: ReadonlySet<string>;
  readonly #prefixes: readonly string[];
  readonly #all: boolean;

  constructor(topics: readonly string[]) {
    const names = new Set<string>();
    const prefixes: string[] = [];
    for (const topic of topics) {
      if (topic.endsWith('*')) prefixes.push(topic.slice(0, -1));
      else names.add(topic);
    }
    this.#names = names;
    this.#prefixes = prefixes;
    this.#all = topics.length === 0 || prefixes.includes('');
  }

  matches(name: string): boolean {
    return this.#all || this.#names.has(name) || this.#prefixes.some((prefix) => name.startsWith(prefix));
  }
}

/**
 * The prefix to ask Particle's stream for: the longest one every topic shares
 * (Particle filters a stream by name prefix only, so several topics share one
 * stream and EventFilter keeps what was asked for). Empty means every event.
 */
export function streamPrefix(topics: readonly string[]): string {
  if (topics.length === 0) return '';
  const literals = topics.map((topic) => (topic.endsWith('*') ? topic.slice(0, -1) : topic));
  let prefix = literals[0] ?? '';
  for (const literal of literals) {
    while (!literal.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}
