/**
 * Cargo's semver requirements (`1.2`, `^1.2.3`, `~1.2`, `=1.0.0`, `>=1.0, <2`, `*`, `1.*`), for
 * picking among the versions present in a registry or vendor directory.
 */

export type Version = [number, number, number, string];

export function parseVersion(v: string): Version | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-([\w.-]+))?(?:\+[\w.-]+)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? ''] : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  if (a[3] === b[3]) return 0;
  if (a[3] === '') return 1;
  if (b[3] === '') return -1;
  return a[3] < b[3] ? -1 : 1;
}

function one(req: string, v: Version): boolean {
  const m = /^(\^|~|=|>=|<=|>|<)?\s*(\d+|\*)(?:\.(\d+|\*))?(?:\.(\d+|\*))?(?:-([\w.-]+))?$/.exec(
    req.trim(),
  );
  if (!m) return false;
  const op = m[1] ?? '^';
  const parts = [m[2], m[3], m[4]].map(x => (x === undefined || x === '*' ? undefined : Number(x)));
  const [maj, min, pat] = parts;
  if (maj === undefined) return true;
  // Pre-releases only match a requirement that names one (cargo's rule).
  if (v[3] !== '' && !m[5]) return false;
  const lo: Version = [maj, min ?? 0, pat ?? 0, m[5] ?? ''];
  const c = compareVersions(v, lo);
  switch (op) {
    case '=':
      return (
        v[0] === maj &&
        (min === undefined || v[1] === min) &&
        (pat === undefined || v[2] === pat) &&
        (!m[5] || v[3] === m[5])
      );
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '~':
      return c >= 0 && v[0] === maj && (min === undefined || v[1] === min);
    default: {
      if (c < 0) return false;
      if (maj > 0 || min === undefined) return v[0] === maj;
      if (min > 0 || pat === undefined) return v[0] === 0 && v[1] === min;
      return v[0] === 0 && v[1] === min && v[2] === pat;
    }
  }
}

/** Whether `version` satisfies the requirement `req` (comma-separated comparators, all must hold). */
export function satisfies(version: string, req: string): boolean {
  const v = parseVersion(version);
  if (!v) return false;
  const r = req.trim() || '*';
  return r.split(',').every(p => one(p, v));
}

/** The highest of `versions` that satisfies `req`. */
export function bestMatch(versions: string[], req: string): string | undefined {
  let best: string | undefined;
  for (const x of versions) {
    if (!satisfies(x, req)) continue;
    if (!best || compareVersions(parseVersion(x)!, parseVersion(best)!) > 0) best = x;
  }
  return best;
}
