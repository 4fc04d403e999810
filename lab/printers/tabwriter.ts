// Go's text/tabwriter as kubectl describe sets it up (minwidth 0, padding 2, padded with spaces): text
// is cells ending in tabs; a column is a run of adjacent lines that have a tab-terminated cell in it,
// as wide as its widest cell plus the padding; the last cell of a line is not part of any column. A
// flush ends every column, as `w.Flush()` does before kubectl's Events table.

/** Lays out tab-separated text as Go's tabwriter (cell widths counted in characters). */
export function formatTabbed(text: string, padding = 2): string {
  if (text === '') return '';
  const complete = text.endsWith('\n');
  const raw = (complete ? text.slice(0, -1) : text).split('\n');
  const lines = raw.map((l) => l.split('\t'));
  const out: string[] = [];
  const widths: number[] = [];
  const len = (s: string) => [...s].length;
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      let s = '';
      for (let j = 0; j < cells.length; j++) {
        const c = cells[j]!;
        s += c;
        if (j < widths.length) s += ' '.repeat(Math.max(0, widths[j]! - len(c)));
      }
      out.push(i < lines.length - 1 || complete ? `${s}\n` : s);
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i]!.length - 1) continue;
      // A cell in this column: the block runs while lines have one.
      writeLines(line0, i);
      line0 = i;
      let width = 0;
      for (; i < line1; i++) {
        const cells = lines[i]!;
        if (column >= cells.length - 1) break;
        width = Math.max(width, len(cells[column]!) + padding);
      }
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('');
}

/** kubectl's PrefixWriter over a tabwriter: text at an indentation level (two spaces each), flushes. */
export class DescribeWriter {
  #done = '';
  #pending = '';

  write(level: number, text: string): void {
    this.#pending += '  '.repeat(level) + text;
  }

  /** Ends every column: what follows is laid out on its own. */
  flush(): void {
    this.#done += formatTabbed(this.#pending);
    this.#pending = '';
  }

  toString(): string {
    this.flush();
    return this.#done;
  }
}
