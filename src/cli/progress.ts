/**
 * Progress of a command over many items, on stderr: on a terminal one bar line redrawn in place (at most every
 * 100 ms, messages printed above it), otherwise one plain line per item, which logs and CI output keep.
 */

/** `[#####.....]  12/40` for `width` characters of bar. Pure. */
export function progressBar(done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : width;
  const count = `${String(done).padStart(String(total).length)}/${total}`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}`;
}

export interface Progress {
  /** `done` items are finished; `label` says what the last one was. */
  update(done: number, label: string): void;
  /** A message line (a warning, an error), kept above the bar. */
  message(text: string): void;
  /** Runs `write` (output to another stream, e.g. stdout on the same terminal) with the bar out of its way. */
  above(write: () => void): void;
  /** Removes the bar. */
  finish(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export function progressReporter(
  title: string,
  total: number,
  stream: ProgressStream = process.stderr,
  now: () => number = Date.now,
): Progress {
  if (!stream.isTTY) {
    return {
      update: (done, label) => void stream.write(`${title} [${done}/${total}] ${label}\n`),
      message: (text) => void stream.write(`${text}\n`),
      above: (write) => write(),
      finish: () => undefined,
    };
  }
  let shown = '';
  let lastDraw = Number.NEGATIVE_INFINITY;
  const draw = (line: string): void => {
    const columns = stream.columns || 80;
    const fitted = line.length >= columns ? `${line.slice(0, Math.max(0, columns - 2))}…` : line;
    stream.write(`\r\x1b[2K${fitted}`);
    shown = line;
  };
  return {
    update: (done, label) => {
      const time = now();
      if (done < total && time - lastDraw < 100) return;
      lastDraw = time;
      draw(`${title} ${progressBar(done, total)} ${label}`);
    },
    message: (text) => {
      stream.write(`\r\x1b[2K${text}\n`);
      if (shown) draw(shown);
    },
    above: (write) => {
      if (shown) stream.write('\r\x1b[2K');
      write();
      if (shown) draw(shown);
    },
    finish: () => {
      if (shown) stream.write('\r\x1b[2K');
      shown = '';
    },
  };
}
