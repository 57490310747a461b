/**
 * The allocation stacks of a heap profile merged into one call tree (root first), weighted by
 * bytes allocated, bytes live at the peak and bytes live at exit: what the byte-weighted
 * flamegraph and the folded/speedscope exports are made from. Nodes live in typed arrays, and
 * their number is capped (MAX_NODES, all kinds): past 7/8 of it, a stack's remaining frames are
 * merged into one `[stacks cut]` child of the deepest node it reached (or, once the cap is
 * reached, of its nearest ancestor that has one; the root always may), so totals stay exact and
 * memory stays bounded whatever the number of sites (a 100 MB DHAT file has ~430k unique stacks).
 */

/** Frame id of the `[stacks cut]` node. */
export const CUT_FRAME = -2;
/** Nodes of the tree, the root and `[stacks cut]` nodes included. */
export const MAX_NODES = (1 << 18) - 1;

export class HeapCallTree {
  /** Nodes (node 0 is the root, without a frame). */
  size = 1;
  parent = new Int32Array(1024);
  frame = new Int32Array(1024);
  /** Self weights: [bytes, peakBytes, endBytes] per node. */
  weight = new Float64Array(3 * 1024);
  /** Stacks that were cut, and their bytes. */
  cutStacks = 0;
  cutBytes = 0;
  /** Open addressing: node index + 1 (0 = empty), keyed by (parent, frame). */
  private slots = new Int32Array(4096);

  /** Nodes from frames stop at 7/8 of the cap; the rest is for `[stacks cut]` nodes. */
  private readonly frameNodes: number;

  constructor(private readonly maxNodes = MAX_NODES) {
    this.frameNodes = Math.floor((maxNodes * 7) / 8);
  }

  /** Adds one stack (frame ids, leaf first) with its weights. */
  add(leafFirst: ArrayLike<number>, bytes: number, peakBytes: number, endBytes: number): void {
    if (bytes <= 0 && peakBytes <= 0 && endBytes <= 0) return;
    let node = 0;
    for (let i = leafFirst.length - 1; i >= 0; i--) {
      const next = this.child(node, leafFirst[i], this.size < this.frameNodes);
      if (next < 0) {
        // The deepest node with a [stacks cut] child, or that may get one (the root always may).
        let cut = this.child(node, CUT_FRAME, this.size < this.maxNodes || node === 0);
        while (cut < 0) {
          node = this.parent[node];
          cut = this.child(node, CUT_FRAME, node === 0);
        }
        node = cut;
        this.cutStacks++;
        this.cutBytes += bytes;
        break;
      }
      node = next;
    }
    const w = this.weight;
    w[3 * node] += bytes;
    w[3 * node + 1] += peakBytes;
    w[3 * node + 2] += endBytes;
  }

  /** Frame ids of the path from the root to `node`, root first. */
  path(node: number): number[] {
    const out: number[] = [];
    for (let n = node; n !== 0; n = this.parent[n]) out.push(this.frame[n]);
    return out.reverse();
  }

  private hash(parent: number, frame: number): number {
    return (Math.imul(parent, 0x9e3779b1) ^ Math.imul(frame + 3, 0x85ebca6b)) >>> 0;
  }

  private child(parent: number, frame: number, create: boolean): number {
    const mask = this.slots.length - 1;
    let i = this.hash(parent, frame) & mask;
    for (;;) {
      const s = this.slots[i];
      if (s === 0) break;
      const n = s - 1;
      if (this.parent[n] === parent && this.frame[n] === frame) return n;
      i = (i + 1) & mask;
    }
    if (!create) return -1;
    const n = this.size++;
    if (n === this.parent.length) this.grow();
    this.parent[n] = parent;
    this.frame[n] = frame;
    this.slots[i] = n + 1;
    if (this.size * 2 > this.slots.length) this.rehash();
    return n;
  }

  private grow(): void {
    const cap = this.parent.length * 2;
    const p = new Int32Array(cap);
    p.set(this.parent);
    this.parent = p;
    const f = new Int32Array(cap);
    f.set(this.frame);
    this.frame = f;
    const w = new Float64Array(3 * cap);
    w.set(this.weight);
    this.weight = w;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let n = 1; n < this.size; n++) {
      let i = this.hash(this.parent[n], this.frame[n]) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = n + 1;
    }
    this.slots = slots;
  }
}
