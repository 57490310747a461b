/**
 * Quick fix: replace `#[async_trait]` with native async methods. In the trait each
 * `async fn m(..) -> R;` becomes `fn m(..) -> impl std::future::Future<Output = R> + Send;`
 * (default bodies are wrapped in `async move { .. }`); impls keep `async fn`; every
 * `#[async_trait]` attribute on the trait and its impls is removed.
 */
import type { Attribute, FnItem, ImplItem, TraitItem } from '../model';
import type { Fix, FixContext, TextEdit } from './types';
import { editAt } from './edits';

function removeAttr(ctx: FixContext, a: Attribute): TextEdit | undefined {
  const text = ctx.index.fileText(a.span.file);
  if (!text) return undefined;
  let end = a.span.endOffset;
  // Take the line break and the next line's indentation with it when the attribute is alone on its line.
  const lineStart = text.lastIndexOf('\n', a.span.startOffset - 1) + 1;
  if (/^\s*$/.test(text.slice(lineStart, a.span.startOffset)) && text[end] === '\n') {
    end++;
    return editAt(a.span.file, text, lineStart, end, '');
  }
  while (text[end] === ' ') end++;
  return editAt(a.span.file, text, a.span.startOffset, end, '');
}

function rewriteDecl(ctx: FixContext, fn: FnItem, noSend: boolean): TextEdit[] {
  const text = ctx.index.fileText(fn.span.file);
  if (!text) return [];
  const s = fn.signatureSpan.startOffset;
  const sig = text.slice(s, fn.signatureSpan.endOffset);
  const m = /\basync\s+/.exec(sig);
  if (!m) return [];
  const bound = `impl std::future::Future<Output = ${fn.returnType?.text ?? '()'}>${noSend ? '' : ' + Send'}`;
  // The return type ends at `where` (if any) or at the end of the signature.
  const whereAt = sig.search(/\bwhere\b/);
  const sigEnd = whereAt >= 0 ? whereAt : sig.length;
  const arrow = sig.lastIndexOf('->', sigEnd);
  const closeParen = sig.lastIndexOf(')', arrow >= 0 ? arrow : sigEnd);
  const edits: TextEdit[] = [
    editAt(fn.span.file, text, s + m.index, s + m.index + m[0].length, ''),
  ];
  if (fn.returnType && arrow > closeParen) {
    let re = sigEnd;
    while (re > arrow && /\s/.test(sig[re - 1])) re--;
    edits.push(editAt(fn.span.file, text, s + arrow, s + re, `-> ${bound}`));
  } else {
    edits.push(editAt(fn.span.file, text, s + closeParen + 1, s + closeParen + 1, ` -> ${bound}`));
  }
  if (fn.hasBody && !noSend) {
    // Like async_trait, a provided method's future can only be Send if the captured receiver is.
    const recv = fn.params.find(p => p.isSelf)?.pattern.replace(/\s+/g, '') ?? '';
    const bound = /^&(\'\w+)?self$/.test(recv) ? 'Self: Sync' : recv ? 'Self: Send' : undefined;
    if (bound) {
      const end = fn.signatureSpan.endOffset;
      edits.push(
        editAt(fn.span.file, text, end, end, whereAt >= 0 ? `, ${bound}` : ` where ${bound}`),
      );
    }
  }
  if (fn.hasBody) {
    const bodyStart =
      fn.signatureSpan.endOffset + text.slice(fn.signatureSpan.endOffset).indexOf('{');
    edits.push(editAt(fn.span.file, text, bodyStart + 1, bodyStart + 1, ' async move {'));
    edits.push(editAt(fn.span.file, text, fn.span.endOffset - 1, fn.span.endOffset - 1, '} '));
  }
  return edits;
}

export function nativeAsyncFix(
  ctx: FixContext,
  t: TraitItem,
  methods: FnItem[],
  impls: ImplItem[],
  noSend: boolean,
): Fix | undefined {
  const edits: TextEdit[] = [];
  for (const item of [t, ...impls]) {
    for (const a of item.attrs.filter(x => /(^|::)async_trait$/.test(x.name))) {
      const e = removeAttr(ctx, a);
      if (!e) return undefined;
      edits.push(e);
    }
  }
  for (const m of methods) edits.push(...rewriteDecl(ctx, m, noSend));
  return {
    title: `Use native async fn in \`${t.name}\` (no boxing): remove #[async_trait] from the trait and its ${impls.length} impl${impls.length === 1 ? '' : 's'}`,
    preferred: true,
    edits,
  };
}
