/**
 * `async-trait-box`: `#[async_trait]` turns every `async fn` of a trait into a method returning
 * `Pin<Box<dyn Future + Send>>`: one heap allocation (and a dynamic dispatch per poll) per call.
 * Since Rust 1.75 traits can declare async methods natively; the fix is offered only where it is
 * safe (the trait is never used as `dyn Trait`, and no impl can live outside the workspace).
 */
import type { Attribute, FnItem, ImplItem, Item, TraitItem, TypeExpr } from '../model';
import { parseTypeText } from '../index/type-text';
import {
  fmt,
  isAllowed,
  rangeOf,
  wanted,
  wantedItems,
  type RuleContext,
  type RuleModule,
} from './context';
import type { Finding, RelatedInfo } from './types';
import { nativeAsyncFix } from '../fixes/async-trait';
import { asyncTraitBoxedText } from '../future/present';

export function asyncTraitAttr(item: Item): Attribute | undefined {
  return item.attrs.find(a => /(^|::)async_trait$/.test(a.name));
}

/** The trait a path names, resolved from `module` (undefined when it is not a workspace trait). */
function traitItem(ctx: RuleContext, module: string, t: TypeExpr | undefined): Item | undefined {
  if (t?.kind !== 'path' || t.qself) return undefined;
  const it = ctx.index.resolveItem(
    module,
    t.segments.map(s => s.name),
  );
  return it?.kind === 'trait' ? it : undefined;
}

type DynUse = { file: string; line: number; column: number; item: Item | undefined };

/** Every `dyn <name>` in the workspace with the trait it resolves to, scanned once per name. */
function dynUsesOf(ctx: RuleContext, name: string, memo?: Map<string, DynUse[]>): DynUse[] {
  const known = memo?.get(name);
  if (known) return known;
  const re = new RegExp(`\\bdyn\\s+((?:[\\w:]+::)?${name})\\b`, 'g');
  const out: DynUse[] = [];
  for (const file of ctx.index.fileNames()) {
    const text = ctx.index.fileText(file);
    if (!text || !text.includes(name)) continue;
    // Lines counted forward from the previous match: slicing from 0 per match was quadratic.
    let line = 1;
    let lineStart = 0;
    let at = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      for (let i = text.indexOf('\n', at); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) {
        line++;
        lineStart = i + 1;
      }
      at = m.index;
      const te = parseTypeText(m[1]);
      const item = te ? traitItem(ctx, ctx.index.moduleAt(file, line), te) : undefined;
      out.push({ file, line, column: m.index - lineStart + 1, item });
    }
  }
  memo?.set(name, out);
  return out;
}

/** Places where `dyn Trait` names the trait (resolved from the use site when `trait` is given). */
export function dynUses(
  ctx: RuleContext,
  name: string,
  trait?: Item,
  memo?: Map<string, DynUse[]>,
): { file: string; line: number; column: number }[] {
  return dynUsesOf(ctx, name, memo)
    .filter(d => !trait || d.item === trait)
    .map(d => ({ file: d.file, line: d.line, column: d.column }));
}

type AsyncTraitFinding = Extract<Finding, { code: 'async-trait-box' }>;

/** `-> Self`, `-> io::Result<Self>`, `-> Option<Self>`: the method makes the object. */
function constructs(f: FnItem): boolean {
  const ret = f.returnType?.text.replace(/\s+/g, '') ?? '';
  return /^(Self|(\w+::)*(Result|Option)<Self\b)/.test(ret);
}

export function asyncTraitBox(ctx: RuleContext): AsyncTraitFinding[] {
  const out: AsyncTraitFinding[] = [];
  // Findings sit on the traits and impls of the checked files: a file without `#[async_trait]`
  // needs no walk of the whole workspace (the editor re-checks one file per keystroke; the walk
  // over tokio's items took ~5 ms).
  const mine = wantedItems(ctx);
  const myTraits = mine.filter(i => i.kind === 'trait' && asyncTraitAttr(i)) as TraitItem[];
  const myImpls0 = mine.filter(i => i.kind === 'impl' && asyncTraitAttr(i)) as ImplItem[];
  if (myTraits.length === 0 && myImpls0.length === 0) return out;
  const fnsByPath = new Map<string, FnItem>();
  for (const i of ctx.index.items) if (i.kind === 'fn') fnsByPath.set(i.path, i as FnItem);
  const traits = myTraits;
  // A trait's impls may be anywhere in the workspace.
  const impls =
    myTraits.length > 0
      ? (ctx.index.items.filter(i => i.kind === 'impl' && asyncTraitAttr(i)) as ImplItem[])
      : myImpls0;
  // Impls grouped by the trait they implement, and `dyn` uses scanned once per trait name: a
  // file with a thousand copies of one trait spent 4 s here.
  const implTrait = new Map(impls.map(i => [i, traitItem(ctx, i.module, i.trait)]));
  const implsOf = new Map<Item, ImplItem[]>();
  for (const i of impls) {
    const t = implTrait.get(i);
    if (!t) continue;
    const list = implsOf.get(t);
    if (list) list.push(i);
    else implsOf.set(t, [i]);
  }
  const dynMemo = new Map<string, DynUse[]>();
  for (const t of traits) {
    if (!wanted(ctx, t.span.file) || isAllowed(ctx, t, 'async-trait-box')) continue;
    const all = t.methods.map(p => fnsByPath.get(p)).filter((f): f is FnItem => !!f && f.isAsync);
    // A constructor (`async fn connect(addr) -> io::Result<Self>`) boxes once per object, beside
    // the object's own setup (a connect, a bind): only the other methods box per use.
    const methods = all.filter(f => !constructs(f));
    if (methods.length === 0) continue;
    // Impls and `dyn` uses of this very trait (resolved), not of every trait with its name.
    const myImpls = implsOf.get(t) ?? [];
    const dyns = dynUses(ctx, t.name, t, dynMemo);
    const noSend = /\?\s*Send/.test(asyncTraitAttr(t)!.args);
    const related: RelatedInfo[] = myImpls.map(i => ({
      range: rangeOf(i.nameSpan),
      message: `implemented for \`${i.selfType.text}\` here (each call boxes)`,
    }));
    for (const d of dyns.slice(0, 5))
      related.push({
        range: {
          file: d.file,
          line: d.line,
          column: d.column,
          endLine: d.line,
          endColumn: d.column + 4 + t.name.length,
        },
        message: `used as \`dyn ${t.name}\` here`,
      });
    let advice: string;
    let fixes = [] as Finding['fixes'];
    const exported =
      t.visibility.startsWith('pub') &&
      ctx.index.targets.some(x => x.kind === 'lib' && t.path.startsWith(`${x.name}::`)) &&
      t.visibility === 'pub';
    if (dyns.length > 0) {
      advice = `it is used as \`dyn ${t.name}\`, which native \`async fn\` in traits cannot do: keep \`#[async_trait]\` where dynamic dispatch is needed, or use \`trait_variant\`/\`dynosaur\` for a boxed dyn variant only, or enum dispatch over the impls`;
    } else if (exported) {
      advice = `the trait is public in a library, so impls outside this workspace would break: declare \`fn m(..) -> impl Future<Output = R>${noSend ? '' : ' + Send'}\` in a new major version`;
    } else {
      advice = `declare the methods as \`fn m(..) -> impl Future<Output = R>${noSend ? '' : ' + Send'}\` (native since Rust 1.75) and keep \`async fn\` in the impls`;
      const f = nativeAsyncFix(ctx, t, all, myImpls, noSend);
      if (f) fixes = [f];
    }
    // The impls' method bodies are what gets boxed: say how big.
    const implFns = myImpls.flatMap(i =>
      i.methods.map(p => fnsByPath.get(p)).filter((f): f is FnItem => !!f && f.isAsync),
    );
    const boxed = asyncTraitBoxedText(ctx.index, ctx.engine, implFns);
    out.push({
      code: 'async-trait-box',
      severity: 'warning',
      message: `\`#[async_trait]\` allocates a boxed future on every call of ${methods.length === 1 ? `\`${methods[0].name}\`` : `its ${fmt(methods.length)} async methods`}`,
      notes: [
        `each call of ${methods.map(m => `\`${m.name}\``).join(', ')} heap-allocates a \`Pin<Box<dyn Future${noSend ? '' : ' + Send'}>>\`${boxed ? ` (${boxed})` : ''}, across ${myImpls.length} impl${myImpls.length === 1 ? '' : 's'}`,
        advice,
      ],
      range: rangeOf(t.nameSpan),
      related,
      fixes,
      data: {
        methods: methods.length,
        impls: myImpls.length,
        dynUses: dyns.length,
        methodNames: methods.map(m => m.name).join(','),
      },
    });
  }
  // Impls of traits defined outside the workspace: the boxing happens here too.
  for (const i of impls) {
    const name =
      i.trait?.kind === 'path' ? i.trait.segments[i.trait.segments.length - 1].name : undefined;
    if (
      !name ||
      implTrait.get(i) ||
      !wanted(ctx, i.span.file) ||
      isAllowed(ctx, i, 'async-trait-box')
    )
      continue;
    const methods = i.methods
      .map(p => fnsByPath.get(p))
      .filter((f): f is FnItem => !!f && f.isAsync);
    if (methods.length === 0) continue;
    out.push({
      code: 'async-trait-box',
      severity: 'info',
      message: `\`#[async_trait]\` impl of \`${name}\` allocates a boxed future on every call`,
      notes: [
        `${methods.map(m => `\`${m.name}\``).join(', ')} each allocate once per call`,
        `\`${name}\` is defined outside this workspace: its crate decides whether this can change`,
      ],
      range: rangeOf(i.nameSpan),
      related: [],
      fixes: [],
      data: {
        methods: methods.length,
        methodNames: methods.map(m => m.name).join(','),
        external: true,
      },
    });
  }
  return out;
}

export const asyncTraitBoxRule: RuleModule<'async-trait-box'> = {
  code: 'async-trait-box',
  summary: '#[async_trait] allocates a boxed future on every call of each async method.',
  settings: { editor: ['allocLens.testCode'], clippyToml: [] },
  profile: {
    measure: 'allocator',
    evidence: (f, h) => [h.calls(f.data.methodNames.split(',').filter(Boolean))],
  },
  check: asyncTraitBox,
};
