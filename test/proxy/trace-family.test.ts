// `netlab trace` walks the table set of the packet's family. An IPv4-mapped destination is the IPv4
// address (netutils.IsIPv6String, as the packet's own reading has it), so it meets the IPv4 rules.
import { join } from 'node:path';
import t from 'tap';
import type { TraceFlags } from '../../lab/commands/trace.js';
import { traceManifests } from '../../lab/tools/index.js';
import { acceptanceDir } from './fixtures/index.js';

t.test('the family of --dst as IsIPv6String reads it', async (t) => {
  const cases: [dst: string, endpoints: string[]][] = [
    ['172.30.0.41', ['10.180.0.1:80']],
    ['::ffff:172.30.0.41', ['10.180.0.1:80']],
  ];
  for (const [dst, endpoints] of cases) {
    const flags: TraceFlags = {
      filename: [join(acceptanceDir, 'fixture-a.yaml')],
      hostnameOverride: 'test-node',
      clusterCidr: '10.0.0.0/8',
      src: '10.0.0.2',
      dst,
      dport: '80',
      proto: 'tcp',
      seed: '1',
      output: 'json',
      semantics: 'kernel',
    };
    const got = JSON.parse(traceManifests(flags.filename, flags).output) as { endpoints: string[] };
    t.same(got.endpoints, endpoints, dst);
  }
});
