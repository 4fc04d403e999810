// How a running lab ends on signals: the first stops it cleanly and exits 0 (1 if stopping failed);
// a second, while the first is still stopping, exits at once with 128 + the signal's number.
import { EventEmitter } from 'node:events';
import t from 'tap';
import { type SignalTarget, stopOnSignals } from '../../lab/run/signals.js';

class FakeProcess extends EventEmitter implements SignalTarget {
  readonly exits: number[] = [];
  readonly output: string[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

t.test('signals: one stops cleanly, two exit at once', async (t) => {
  const cases: {
    name: string;
    signals: ('SIGINT' | 'SIGTERM')[];
    stop: 'resolves' | 'rejects' | 'hangs';
    exits: number[];
    output: string[];
  }[] = [
    {
      name: 'SIGINT, the lab stops',
      signals: ['SIGINT'],
      stop: 'resolves',
      exits: [0],
      output: ['stderr: SIGINT: stopping (again to exit at once)\n', 'stdout: netlab stopped\n'],
    },
    {
      name: 'SIGTERM, the lab stops',
      signals: ['SIGTERM'],
      stop: 'resolves',
      exits: [0],
      output: ['stderr: SIGTERM: stopping (again to exit at once)\n', 'stdout: netlab stopped\n'],
    },
    {
      name: 'SIGINT, stopping fails',
      signals: ['SIGINT'],
      stop: 'rejects',
      exits: [1],
      output: [
        'stderr: SIGINT: stopping (again to exit at once)\n',
        'stderr: error: stopping: listener stuck\n',
      ],
    },
    {
      name: 'SIGINT twice while stopping',
      signals: ['SIGINT', 'SIGINT'],
      stop: 'hangs',
      exits: [130],
      output: ['stderr: SIGINT: stopping (again to exit at once)\n'],
    },
    {
      name: 'SIGINT, then SIGTERM while stopping',
      signals: ['SIGINT', 'SIGTERM'],
      stop: 'hangs',
      exits: [143],
      output: ['stderr: SIGINT: stopping (again to exit at once)\n'],
    },
  ];
  for (const c of cases) {
    const proc = new FakeProcess();
    let stops = 0;
    const stop = () => {
      stops++;
      if (c.stop === 'resolves') return Promise.resolve();
      if (c.stop === 'rejects') return Promise.reject(new Error('listener stuck'));
      return new Promise<void>(() => {});
    };
    stopOnSignals(proc, stop, {
      stdout: (s) => proc.output.push(`stdout: ${s}`),
      stderr: (s) => proc.output.push(`stderr: ${s}`),
    });
    for (const s of c.signals) proc.emit(s, s);
    // Let the stop's promise settle.
    await new Promise((r) => setImmediate(r));
    t.same(proc.exits, c.exits, `${c.name}: exit codes`);
    t.same(proc.output, c.output, `${c.name}: output`);
    t.equal(stops, 1, `${c.name}: stopped once`);
  }
});
