// 10k random and mutated packets over UDP, TCP and straight into the handler (`npm run fuzz` runs
// 100k): the server stays up, answers every message it must answer with the query's ID, and every
// well-formed probe between batches gets its answer.
import t from 'tap';
import { fuzzServer } from '../../bench/dns-fuzz.js';

t.test('fuzz: 10k packets, seeded', async (t) => {
  const r = await fuzzServer({ packets: 10_000, seed: 7, batch: 1000 });
  t.same(
    {
      packets: r.packets,
      silent: r.silent,
      badReplies: r.badReplies,
      probes: r.probes,
      probeFailures: r.probeFailures,
      errors: r.errors,
    },
    { packets: 10_000, silent: 0, badReplies: 0, probes: 22, probeFailures: 0, errors: [] },
  );
  t.ok(r.udpReplies > 0 && r.tcpReplies > 0, `replies over UDP (${r.udpReplies}) and TCP (${r.tcpReplies})`);
});
