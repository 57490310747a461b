/**
 * `--features a,b` (an empty list is allowed), `--all-features`, `--no-default-features` and
 * `--target <triple>`, shared by `layout` and `check`. The CLI is a trusted context: it may run
 * `cargo metadata` (offline, locked; never a build).
 */
import type { LoadOptions } from '../core/index/workspace';
import { cfgTarget } from '../core/index/cfg';
import { UsageError, type ParsedArgs } from './io';

export const CARGO_VALUE_FLAGS = ['features', 'target'];
export const CARGO_BOOL_FLAGS = ['all-features', 'no-default-features'];
export const CARGO_USAGE =
  '[--features a,b] [--all-features] [--no-default-features] [--target <triple>]';

export function cargoLoadOptions(flags: ParsedArgs['flags']): LoadOptions {
  const f = flags.get('features');
  const features = typeof f === 'string' ? f.split(/[,\s]+/).filter(Boolean) : undefined;
  const target = flags.get('target');
  if (typeof target === 'string') {
    try {
      cfgTarget(target);
    } catch (e) {
      throw new UsageError(`--target ${(e as Error).message}`);
    }
  }
  return {
    features,
    allFeatures: flags.has('all-features'),
    noDefaultFeatures: flags.has('no-default-features'),
    target: typeof target === 'string' ? target : undefined,
    trusted: true,
  };
}
