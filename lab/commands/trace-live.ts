// `netlab trace --live`: a running lab's data plane decisions as they happen, one line per new
// connection or UDP flow (entry node, how it entered, client and destination, verdict and endpoint,
// the source the pod sees, the chains walked). The lab's forward proxy serves the stream on its own
// page /netlab/connections.
import { get } from 'node:http';
import { TraceInputError } from '../../proxy/index.js';

export interface LiveFlags {
  live?: boolean;
  proxy: string;
}

/** Streams the lines to stdout until the lab goes away or the command is interrupted. */
export function traceLive(flags: LiveFlags, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d{1,5})$/.exec(flags.proxy);
  if (m === null || Number(m[3]) > 65535) {
    return Promise.reject(new TraceInputError(`--proxy: Invalid value: "${flags.proxy}": want HOST:PORT`));
  }
  const host = m[1] ?? m[2]!;
  return new Promise((resolve, reject) => {
    const req = get({ host, port: Number(m[3]), path: '/netlab/connections' }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new TraceInputError(`${flags.proxy} is not a netlab forward proxy (HTTP ${res.statusCode})`));
        return;
      }
      res.pipe(out, { end: false });
      res.on('close', resolve);
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(new TraceInputError(`no running lab at ${flags.proxy} (${e.code ?? e.message}); see --proxy`)),
    );
  });
}
