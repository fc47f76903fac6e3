/**
 * The API answers a bad body with one sentence that starts with the field's
 * path ("mqttConfig.port must be <= 65535", "topics[1] is not a valid MQTT
 * topic filter: …"). This finds which input of a form that path belongs to.
 */

const PATH = /^([A-Za-z_$][\w$]*)((?:\.[A-Za-z_$][\w$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*)/;

/**
 * The form field a validation message names: "name", "topics", or
 * "config.<field>" for a field of the type's config object ("config" alone
 * when the message is about the object as a whole). Undefined when it names
 * nothing the form shows.
 */
export function fieldOfMessage(message: string, known: ReadonlySet<string>): string | undefined {
  const m = PATH.exec(message);
  if (!m) return undefined;
  const head = m[1]!;
  const rest = m[2] ?? '';
  if (head.endsWith('Config')) {
    const sub = /^\.([A-Za-z_$][\w$]*)/.exec(rest);
    const field = sub ? `config.${sub[1]!}` : 'config';
    return known.has(field) ? field : known.has('config') ? 'config' : undefined;
  }
  return known.has(head) ? head : undefined;
}
