// Progress while something long runs (booting, a scenario's traffic step): cli-progress bars on a
// terminal, plain lines otherwise, so logs and scripts read one line per change.
import cliProgress from 'cli-progress';

export interface ProgressBar {
  update(value: number, detail?: string): void;
  /** A new total (more to do than known at the start). */
  total?(total: number): void;
  done(detail?: string): void;
}

export interface Progress {
  /** One line saying what happens now. */
  step(text: string): void;
  /** A bar from 0 to `total`. */
  bar(label: string, total: number): ProgressBar;
  stop(): void;
}

/** Says nothing: for library callers and tests that only want the result. */
export const silentProgress: Progress = {
  step() {},
  bar: () => ({ update() {}, done() {} }),
  stop() {},
};

/** Plain lines: the start of a bar, each quarter reached, and its end. */
export function lineProgress(write: (line: string) => void): Progress {
  return {
    step: (text) => write(text),
    bar(label, initial) {
      let total = initial;
      let quarter = 0;
      write(`${label}: 0/${total}`);
      return {
        total(t) {
          total = t;
        },
        update(value, detail) {
          const q = total > 0 ? Math.floor((value / total) * 4) : 4;
          if (q > quarter && value < total) {
            quarter = q;
            write(`${label}: ${value}/${total}${detail ? ` ${detail}` : ''}`);
          }
        },
        done(detail) {
          write(`${label}: done${detail ? ` ${detail}` : ''}`);
        },
      };
    },
    stop() {},
  };
}

/** cli-progress bars on a terminal; lines from `step` print above them. */
export function terminalProgress(stream: NodeJS.WriteStream): Progress {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: '{label} [{bar}] {value}/{total} {detail}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    step: (text) => multi.log(`${text}\n`),
    bar(label, total) {
      const b = multi.create(total, 0, { label, detail: '' });
      return {
        update: (value, detail) => b.update(value, { detail: detail ?? '' }),
        total: (t) => b.setTotal(t),
        done: (detail) => {
          b.update(b.getTotal(), { detail: detail ?? '' });
          b.stop();
        },
      };
    },
    stop: () => multi.stop(),
  };
}

/** Bars when `stream` is a terminal, plain lines otherwise. */
export function progressFor(stream: NodeJS.WriteStream): Progress {
  return stream.isTTY ? terminalProgress(stream) : lineProgress((l) => stream.write(`${l}\n`));
}
