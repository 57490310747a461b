/** Duplicate module declarations (used by the workspace loader and the dependency reader). */
import type { CfgContext } from './cfg';
import { cfgOf } from './cfg-apply';
import type { ModDecl } from './extract-types';

/**
 * Module paths declared more than once, with different files (`#[path]`), among the declarations
 * a cfg does not switch off. (`cfg_rt! { pub mod runtime; } cfg_not_rt! { pub(crate) mod
 * runtime; }` declares one file twice: that is fine.)
 */
export function duplicateMods(mods: readonly ModDecl[], ctx: CfgContext): Set<string> {
  const seen = new Map<string, string>();
  const twice = new Set<string>();
  for (const m of mods) {
    if (m.item.attrs.length > 0 && cfgOf(m.item.attrs, ctx) === 'no') continue;
    const where = `${m.inlineDirs.join('/')}|${m.pathAttr ?? ''}`;
    const prev = seen.get(m.path);
    if (prev !== undefined && prev !== where) twice.add(m.path);
    seen.set(m.path, where);
  }
  return twice;
}
