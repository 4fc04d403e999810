// How a running lab ends: the first SIGINT or SIGTERM stops it cleanly (every pod through CNI DEL,
// every listener closed) and exits 0; a second one exits at once, as Ctrl-C twice does for kubectl
// port-forward or kind. `netlab up`, `netlab dns serve` and the scenario runner share it.

/** The part of `process` this needs (tests pass an EventEmitter and a recording exit). */
export interface SignalTarget {
  on(signal: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** Exit codes after a signal: 128 + its number, as a shell reports a process it killed. */
export const signalExitCode: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

export function stopOnSignals(
  target: SignalTarget,
  stop: () => Promise<void>,
  out: { stdout: (text: string) => void; stderr: (text: string) => void },
  /** announce: false leaves out the `stopping` and `netlab stopped` lines (`netlab dns serve`). */
  { announce = true }: { announce?: boolean } = {},
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const name = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    // A second signal means "now": no clean-up.
    if (stopping) {
      target.exit(signalExitCode[name]);
      return;
    }
    stopping = true;
    if (announce) out.stderr(`${name}: stopping (again to exit at once)\n`);
    stop().then(
      () => {
        if (announce) out.stdout('netlab stopped\n');
        target.exit(0);
      },
      (e: unknown) => {
        out.stderr(`error: stopping: ${(e as Error).message}\n`);
        target.exit(1);
      },
    );
  };
  target.on('SIGINT', onSignal);
  target.on('SIGTERM', onSignal);
}
