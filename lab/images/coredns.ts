// registry.k8s.io/coredns/coredns: the cluster DNS of dns/ as a pod. Its zone is the lab's one
// Zone over the store; the pod answers on 53 (UDP and TCP, RFC 1035 length-prefixed), with CoreDNS's
// health (8080 /health, "OK") and ready (8181 /ready, "OK") plugins for probes. Names outside the
// zone go to `upstream` (its Corefile's `forward . /etc/resolv.conf`: the lab's own upstream), else REFUSED.
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { DnsServer, type HostPort, type Zone } from '../../dns/index.js';
import { execCommon } from './agnhost.js';
import type { Image } from './app.js';

export function corednsImage(zone: Zone, upstream?: HostPort): Image {
  return (ctx) => {
    const server = new DnsServer({ zone, ...(upstream ? { upstream } : {}) });
    ctx.listenUdp(53, (msg, _flow, reply) => {
      void Promise.resolve(server.handle(Buffer.from(msg), 'udp')).then((r) => {
        if (r) reply(r);
      });
    });
    ctx.listen(
      53,
      createTcpServer((conn) => {
        let buf = Buffer.alloc(0);
        conn.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
            buf = buf.subarray(2 + msg.length);
            void Promise.resolve(server.handle(Buffer.from(msg), 'tcp')).then((r) => {
              if (!r || conn.destroyed) return;
              const len = Buffer.alloc(2);
              len.writeUInt16BE(r.length);
              conn.write(Buffer.concat([len, r]));
            });
          }
          if (buf.length > 65537) conn.destroy();
        });
        conn.on('error', () => {});
      }),
    );
    const ok = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('OK');
    });
    ctx.listen(8080, ok);
    ctx.listen(8181, ok);
    ctx.log('.:53');
    ctx.log('CoreDNS-1.11.3');
    return { onSigterm: () => ctx.exit(0), exec: (argv) => execCommon(argv) };
  };
}
