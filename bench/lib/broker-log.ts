/**
 * Reading the broker's connection log (Broker's connectionLog with
 * logErrors): the one witness of every connection of every node, for
 * "never two connections for one client id" at the bench's scale.
 */
import fs from 'node:fs';

/** Mosquitto 2.x, when a client connects with an id that is still connected. */
const TAKEN_OVER = /^\d+: Client (\S+) already connected, closing old connection\./;

export class BrokerLog {
  constructor(
    private readonly file: string,
    private readonly ids: RegExp,
  ) {}

  private lines(): string[] {
    return fs.existsSync(this.file) ? fs.readFileSync(this.file, 'utf8').split('\n') : [];
  }

  /** The lines where a second connection took a client id (of ours) over from a live one. */
  secondConnections(): string[] {
    return this.lines().filter((line) => {
      const id = TAKEN_OVER.exec(line)?.[1];
      return id !== undefined && this.ids.test(id);
    });
  }

  /** The last `n` lines that name `clientId`, to explain an integration the API shows stuck. */
  about(clientId: string, n = 4): string[] {
    const word = new RegExp(`[ (]${clientId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ ,.)]|as ${clientId}$`);
    return this.lines()
      .filter((line) => word.test(line))
      .slice(-n);
  }
}
