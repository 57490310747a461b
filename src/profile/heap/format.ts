/** Human units for heap numbers: decimal bytes (`1.65 GB`), grouped counts, times. */

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return '?';
  const a = Math.abs(b);
  if (a < 1000) return `${Math.round(b)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = b / 1000;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

export const fmtCount = (n: number) => Math.round(n).toLocaleString('en-US');

export function fmtPct(x: number): string {
  if (x > 0 && x < 0.005) return '<1 %';
  return `${Math.round(x * 100)} %`;
}

/** A lifetime in the profile's unit: `instrs` -> `1.2M instrs`, `µs`/`ms` -> `3.4 ms`. */
export function fmtTime(t: number, unit: string): string {
  if (unit === 'µs' || unit === 'us')
    return t >= 1e6
      ? `${(t / 1e6).toFixed(2)} s`
      : t >= 1000
        ? `${(t / 1000).toFixed(1)} ms`
        : `${t.toFixed(0)} µs`;
  if (unit === 'ms') return t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${t.toFixed(1)} ms`;
  const n =
    t >= 1e9
      ? `${(t / 1e9).toFixed(1)}G`
      : t >= 1e6
        ? `${(t / 1e6).toFixed(1)}M`
        : t >= 1e3
          ? `${(t / 1e3).toFixed(1)}k`
          : t.toFixed(0);
  return `${n} ${unit || 'time units'}`;
}
