/**
 * A progress bar on stderr, only when stderr is a TTY: percent of PRED's bytes read, rows evaluated per second, and
 * the ETA (from the byte rate, since a text file's row count is not known before it is read).
 */
export interface Progress {
  update(done: number, total: number, rows: number): void;
  end(): void;
}

const quiet: Progress = { update() {}, end() {} };

/** The bar on screen, if any: cleared by clearProgress (on SIGINT) as by its own end(). */
let onScreen: Progress | null = null;

export function progressBar(enabled: boolean, minBytes = 32 << 20): Progress {
  const err = process.stderr;
  if (!enabled || !err.isTTY) return quiet;
  const t0 = Date.now();
  let last = 0;
  let shown = false;
  const bar: Progress = {
    update(done, total, rows) {
      const now = Date.now();
      if (total < minBytes || now - last < 100) return;
      last = now;
      const s = (now - t0) / 1000;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const rate = done / Math.max(s, 1e-3);
      const eta = rate > 0 ? (total - done) / rate : 0;
      const perSecond = rows / Math.max(s, 1e-3);
      const width = 28;
      const line = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      err.write(`\r${line} ${(100 * frac).toFixed(0).padStart(3)} %  ${count(perSecond)} rows/s  ETA ${eta.toFixed(0)} s `);
      shown = true;
      onScreen = bar;
    },
    end() {
      if (shown) err.write('\r\x1b[K');
      shown = false;
      if (onScreen === bar) onScreen = null;
    },
  };
  return bar;
}

/** 1234 → '1.2 k', 5678901 → '5.7 M'. */
export function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

/** Erases the progress bar's line, if one is on screen (an interrupted run leaves no bar behind). */
export function clearProgress(): void {
  onScreen?.end();
}
