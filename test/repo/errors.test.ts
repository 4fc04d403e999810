// One error contract: every error class netlab defines derives from std's NetlabError and carries a
// string code NETLAB_<AREA>_<WHAT>; a protocol's own number stays beside it under its own name.
// The only exception is the data plane's DialError, which stands for a socket's errno error.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { StatusError } from '../../api/errors.js';
import { CniError } from '../../cni/skel/errors.js';
import { DigNameError } from '../../dns/errors.js';
import { InvalidRangeError } from '../../ipam/kube/errors.js';
import { DialError } from '../../proxy/dataplane/errors.js';
import { NetlabError } from '../../std/errors.js';

const root = new URL('../../', import.meta.url).pathname;
const folders = ['api', 'ipam', 'cni', 'proxy', 'dns', 'std', 'lab'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (f.endsWith('.ts')) out.push(p);
  }
  return out;
}

t.test('no error class extends Error but NetlabError itself and DialError', async (t) => {
  const direct: string[] = [];
  for (const f of folders)
    for (const file of sources(join(root, f)))
      for (const m of readFileSync(file, 'utf8').matchAll(/class\s+(\w+)\s+extends\s+Error\b/g))
        direct.push(`${relative(root, file)}: ${m[1]}`);
  t.same(direct, ['proxy/dataplane/errors.ts: DialError', 'std/errors.ts: NetlabError']);
});

t.test('codes, protocol numbers and exit statuses', async (t) => {
  const rows: { err: Error; code: string; beside: unknown; exitCode: number | undefined }[] = [
    {
      err: new CniError(7, 'bad config'),
      code: 'NETLAB_CNI_INVALID_NETWORK_CONFIG',
      beside: (new CniError(7, 'bad config') as CniError).cniCode,
      exitCode: undefined,
    },
    {
      err: new StatusError('NotFound', 'services "x" not found'),
      code: 'NETLAB_API_NOT_FOUND',
      beside: new StatusError('NotFound', 'x').status.code,
      exitCode: undefined,
    },
    {
      err: new DigNameError('a..b', 'empty label'),
      code: 'NETLAB_DNS_DIG_NAME',
      beside: undefined,
      exitCode: 10,
    },
    {
      err: new InvalidRangeError('x'),
      code: 'NETLAB_IPAM_INVALID_RANGE',
      beside: undefined,
      exitCode: undefined,
    },
  ];
  for (const r of rows) {
    t.ok(r.err instanceof NetlabError, r.err.name);
    const e = r.err as NetlabError;
    t.same([e.code, r.beside, e.exitCode], [r.code, r.beside, r.exitCode], e.name);
  }
  t.same([new CniError(7, 'bad config').cniCode, new StatusError('NotFound', 'x').status.code], [7, 404]);
  t.same(JSON.stringify(new CniError(7, 'bad', 'why')), '{"code":7,"msg":"bad","details":"why"}');
  const dial = new DialError('ECONNREFUSED', '10.0.0.1', 80);
  t.same([dial instanceof NetlabError, dial.code], [false, 'ECONNREFUSED']);
});
