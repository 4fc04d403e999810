// The kernel trace walks every way the random statistic matches can fork. Rules written by hand can
// fork past what it walks (17 independent 50% forks are 131,072 ways): that is bad input, reported
// as a TraceInputError in one line, not a bug with a stack.
import t from 'tap';
import { RuleTable, TraceInputError } from '../../proxy/index.js';
import { traceKernel } from '../../proxy/tracer/outcomes.js';

t.test('more ways through the rules than the kernel trace walks', async (t) => {
  const forks = Array.from({ length: 17 }, (_, i) => i);
  const payload = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':X - [0:0]',
    ...forks.map((i) => `:Y${i} - [0:0]`),
    '-A PREROUTING -j X',
    '-A OUTPUT -j X',
    ...forks.map((i) => `-A X -m statistic --mode random --probability 0.5 -j Y${i}`),
    'COMMIT',
    '',
  ].join('\n');
  const packet = { sourceIP: '10.0.0.1', destIP: '10.0.0.2', protocol: 'tcp' as const, destPort: 80 };
  t.throws(() => traceKernel(RuleTable.parse(payload), packet, { nodeIPs: ['192.168.0.1'] }), {
    constructor: TraceInputError,
    code: 'NETLAB_PROXY_TRACE_INPUT',
    message: 'more than 65536 ways through the rules',
  });
});
