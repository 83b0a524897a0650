/** A progress bar on stderr (rows/s needs rows; we show bytes/s, percent and ETA), only when stderr is a TTY. */
export interface Progress {
  update(done: number, total: number): void;
  end(): void;
}

const quiet: Progress = { update() {}, end() {} };

export function progressBar(enabled: boolean, minBytes = 32 << 20): Progress {
  const err = process.stderr;
  if (!enabled || !err.isTTY) return quiet;
  const t0 = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (total < minBytes || now - last < 100) return;
      last = now;
      const s = (now - t0) / 1000;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const rate = done / Math.max(s, 1e-3);
      const eta = rate > 0 ? (total - done) / rate : 0;
      const width = 28;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      err.write(`\r${bar} ${(100 * frac).toFixed(0).padStart(3)} %  ${(rate / 2 ** 20).toFixed(0)} MB/s  ETA ${eta.toFixed(0)} s `);
      shown = true;
    },
    end() {
      if (shown) err.write('\r\x1b[K');
    },
  };
}
