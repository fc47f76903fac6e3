/**
 * MQTT topic filter rules (MQTT 3.1.1 §4.7, 5.0 §4.7): `#` only as the whole
 * last level, `+` only as a whole level, no NUL, at most 65535 bytes.
 * Returns what is wrong, or undefined when the filter is valid.
 */
export function validateTopicFilter(filter: string): string | undefined {
  if (filter.length === 0) return 'it is empty';
  // A UTF-16 unit is at most 3 UTF-8 bytes, so only long filters need counting.
  if (filter.length > 65535 / 3 && Buffer.byteLength(filter, 'utf8') > 65535) return 'it is longer than 65535 bytes';
  if (filter.includes('\u0000')) return 'it contains a NUL character';
  if (!filter.includes('#') && !filter.includes('+')) return undefined;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '"#" must be a whole level and the last one';
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

/** Whether a topic name (no wildcards) is valid for publishing. */
export function validateTopicName(topic: string): string | undefined {
  if (topic.length === 0) return 'it is empty';
  if (topic.includes('+') || topic.includes('#')) return 'wildcards (+, #) are not allowed when publishing';
  if (topic.includes('\u0000')) return 'it contains a NUL character';
  if (Buffer.byteLength(topic, 'utf8') > 65535) return 'it is longer than 65535 bytes';
  return undefined;
}
