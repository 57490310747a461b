/** Limits shared by the index and the layout engine. */

/**
 * rustc stops at types nested about 128 deep ("queries overflow the depth limit!", measured with
 * rustc 1.95: `Option<...>` 127 deep compiles in a field read by size_of, fails inside println!).
 * Deeper than MAX_TYPE_DEPTH, a type becomes an `unknown` with an error, never a size; this also
 * bounds the work per type (each level copies its text).
 */
export const MAX_TYPE_DEPTH = 100;
export const TOO_DEEP = `type nested deeper than ${MAX_TYPE_DEPTH} levels: not analysed (rustc's query depth limit rejects nesting near 128)`;
