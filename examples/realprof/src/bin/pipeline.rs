//! A parallel pipeline on rayon: records are generated, transformed in parallel (each stage
//! builds new vectors and moves large blocks), grouped and sorted.
use rayon::prelude::*;
use realprof::{arg, Rng};

#[derive(Clone)]
pub struct Block {
    pub id: u64,
    pub samples: [f32; 512],
}

fn make(i: u64) -> Block {
    let mut rng = Rng(i + 1);
    let mut samples = [0f32; 512];
    for s in samples.iter_mut() {
        *s = (rng.next() % 1000) as f32 / 10.0;
    }
    Block { id: i, samples }
}

fn smooth(b: &Block) -> Block {
    let mut out = b.clone();
    for i in 1..511 {
        out.samples[i] = (b.samples[i - 1] + b.samples[i] + b.samples[i + 1]) / 3.0;
    }
    out
}

fn features(b: &Block) -> Vec<f32> {
    let mut v: Vec<f32> = Vec::new();
    for w in b.samples.chunks(16) {
        v.push(w.iter().sum::<f32>() / 16.0);
        v.extend_from_slice(&w[..4]);
    }
    v
}

fn main() {
    let n = arg(40_000) as u64;
    let blocks: Vec<Block> = (0..n).into_par_iter().map(make).collect();
    let smoothed: Vec<Block> = blocks.par_iter().map(smooth).collect();
    let mut feats: Vec<(u64, Vec<f32>)> = smoothed.par_iter().map(|b| (b.id, features(b))).collect();
    feats.par_sort_by(|a, b| a.1[0].partial_cmp(&b.1[0]).unwrap());
    let total: f32 = feats.iter().map(|(_, f)| f[0]).sum();
    println!("{} blocks, {}", feats.len(), total);
}
