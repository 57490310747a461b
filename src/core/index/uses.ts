/**
 * Flattens `use` declarations into one entry per imported name:
 * `use std::{collections::{HashMap as HM, self}, rc::Rc};` gives
 * `std::collections::HashMap as HM`, `std::collections as collections`, `std::rc::Rc as Rc`.
 */
import type { SyntaxNode } from '../parser';
import type { UseEntry } from '../model';
import { spanOf, type SpanBase } from './syntax';

function pathOf(node: SyntaxNode | null): string[] {
  if (!node) return [];
  if (node.type === 'scoped_identifier') {
    return [...pathOf(node.childForFieldName('path')), node.childForFieldName('name')?.text ?? ''];
  }
  return [node.text];
}

export function collectUses(
  decl: SyntaxNode,
  base: SpanBase,
  visibility: string,
  out: UseEntry[],
): void {
  const arg = decl.childForFieldName('argument');
  if (!arg) return;
  const span = spanOf(decl, base);
  const push = (path: string[], alias: string, glob = false) => {
    if (path.length === 0) return;
    out.push({ path, alias, glob, visibility, span });
  };
  const walk = (node: SyntaxNode, prefix: string[]): void => {
    switch (node.type) {
      case 'identifier':
      case 'scoped_identifier':
      case 'crate':
      case 'super':
      case 'self': {
        const p = [...prefix, ...pathOf(node)];
        // `use a::{self}` imports `a` itself.
        if (p[p.length - 1] === 'self' && p.length > 1) {
          p.pop();
        }
        push(p, p[p.length - 1]);
        return;
      }
      case 'use_as_clause': {
        const p = [...prefix, ...pathOf(node.childForFieldName('path'))];
        if (p[p.length - 1] === 'self' && p.length > 1) p.pop();
        push(p, node.childForFieldName('alias')?.text ?? p[p.length - 1]);
        return;
      }
      case 'use_wildcard': {
        const inner = node.namedChildren[0];
        push([...prefix, ...pathOf(inner ?? null)], '*', true);
        return;
      }
      case 'scoped_use_list': {
        const p = [...prefix, ...pathOf(node.childForFieldName('path'))];
        const list = node.childForFieldName('list');
        if (list) walk(list, p);
        return;
      }
      case 'use_list':
        for (const c of node.namedChildren) walk(c, prefix);
        return;
      default:
        return;
    }
  };
  walk(arg, []);
}
