// PLACEHOLDER (lead, uncommitted): replaced by the real demangler.
export function demangle(s: string): string {
  return s;
}
