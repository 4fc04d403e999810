// The app an image netlab does not know runs: every declared container port answers, TCP ports
// over HTTP with what the request looked like, UDP ports by echoing the datagram. The kubelet
// records a Warning Event saying the image was replaced.
import { createServer } from 'node:http';
import { clientOf, execCommon } from './agnhost.js';
import type { Image } from './app.js';

export const defaultEcho: Image = (ctx) => {
  for (const p of ctx.container.ports ?? []) {
    if ((p.protocol ?? 'TCP') === 'UDP') ctx.listenUdp(p.containerPort, (msg, _flow, reply) => reply(msg));
    else if ((p.protocol ?? 'TCP') === 'TCP')
      ctx.listen(
        p.containerPort,
        createServer((req, res) => {
          res.setHeader('Content-Type', 'application/json');
          res.end(
            `${JSON.stringify({
              hostname: ctx.hostname,
              image: ctx.container.image ?? '',
              clientip: clientOf(req.socket),
              method: req.method,
              url: req.url,
            })}\n`,
          );
        }),
      );
  }
  return { onSigterm: () => ctx.exit(143), exec: (argv) => execCommon(argv) };
};
