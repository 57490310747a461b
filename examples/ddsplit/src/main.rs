#![allow(dead_code)]
//! ddsplit: splits queries into blocks, verifies them and keeps an index. Written to show the
//! classic hot spots Alloc Lens finds: a 50 KB `Result` moved on every call, a `Vec` of 4 KB
//! queries pushed and popped, `#[async_trait]` boxing, and `Rc`/`String` clones in loops.
mod proto;
mod split;
mod store;

use proto::{DistriErr, Query, SuccessCode};
use split::{Careful, Fast, Splitter};
use store::Store;

async fn run_batch(splitter: &(dyn Splitter + Sync), queue: &mut Vec<Query>, round: u64) -> (u64, u64) {
    let (mut ok, mut bad) = (0u64, 0u64);
    for i in 0..64u64 {
        queue.push(Query::new(round * 64 + i));
    }
    while let Some(q) = queue.pop() {
        let r: Result<SuccessCode, DistriErr> = splitter.split(&q).await;
        match r {
            Ok(_) => ok += 1,
            Err(DistriErr::Corrupt(block)) => bad += block[0] as u64 + 1,
            Err(_) => bad += 1,
        }
    }
    (ok, bad)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let rounds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30_000);
    let fast = Fast;
    let careful = Careful { expect: 7 };
    let mut queue: Vec<Query> = Vec::new();
    let mut store = Store::new();
    let (mut ok, mut bad, mut bytes) = (0u64, 0u64, 0usize);
    for round in 0..rounds {
        let s: &(dyn Splitter + Sync) = if round % 2 == 0 { &fast } else { &careful };
        let (o, b) = run_batch(s, &mut queue, round).await;
        ok += o;
        bad += b;
        bytes += store.record((round % 5) as u32, &format!("block-{round}"));
        let q = Query::new(round);
        bad += fast.weight(&q).await % 2;
    }
    println!("ok={ok} bad={bad} bytes={bytes} names={}", store.names.len());
}
