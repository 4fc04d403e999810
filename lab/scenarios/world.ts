// The world outside the cluster, as far as a scenario needs it: the DNS server that cluster DNS
// forwards names outside its zone to (CoreDNS's `forward . /etc/resolv.conf` on a node). It answers
// the A and AAAA records a scenario lists under `spec.cluster.externalNames` and NXDOMAIN for every
// other name, as a real recursive resolver does for a name that does not exist. It listens on a
// loopback port of its own; nothing leaves the machine.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import dnsPacket from 'dns-packet';
import type { HostPort } from '../../dns/index.js';

export class WorldDns {
  readonly #records: Map<string, string[]>;
  #socket: Socket | undefined;

  /** `names`: lowercase name without the trailing dot -> its addresses. */
  constructor(names: Readonly<Record<string, readonly string[]>>) {
    this.#records = new Map(
      Object.entries(names).map(([n, a]) => [n.toLowerCase().replace(/\.$/, ''), [...a]]),
    );
  }

  async listen(): Promise<HostPort> {
    const socket = createSocket('udp4');
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => {
      const reply = this.#answer(msg);
      if (reply !== undefined) socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return { host: '127.0.0.1', port: socket.address().port };
  }

  #answer(msg: Buffer): Buffer | undefined {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return undefined; // not DNS: a resolver drops it
    }
    const question = q.questions?.[0];
    if (question === undefined) return undefined;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const addresses = this.#records.get(name);
    const family = question.type === 'A' ? 4 : question.type === 'AAAA' ? 6 : 0;
    const answers =
      addresses === undefined || family === 0
        ? []
        : addresses
            .filter((a) => (family === 4) === isIPv4(a))
            .map((a) => ({
              name: question.name,
              type: question.type as 'A',
              class: 'IN' as const,
              ttl: 300,
              data: a,
            }));
    return dnsPacket.encode({
      type: 'response',
      id: q.id ?? 0,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (addresses === undefined ? 3 : 0),
      questions: [question],
      answers,
    });
  }

  close(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }
}
