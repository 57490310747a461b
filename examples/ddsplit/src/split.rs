//! Splitters behind an `#[async_trait]` trait: every call boxes its future.
use async_trait::async_trait;

use crate::proto::{verify, DistriErr, Query, SuccessCode, BLOCK};

#[async_trait]
pub trait Splitter {
    async fn split(&self, q: &Query) -> Result<SuccessCode, DistriErr>;
    async fn weight(&self, q: &Query) -> u64;
}

pub struct Fast;
pub struct Careful {
    pub expect: u32,
}

#[async_trait]
impl Splitter for Fast {
    async fn split(&self, q: &Query) -> Result<SuccessCode, DistriErr> {
        let mut block = [0u8; BLOCK];
        block[..q.payload.len()].copy_from_slice(&q.payload);
        verify(&block, q.id as u32)
    }
    async fn weight(&self, q: &Query) -> u64 {
        q.payload.iter().map(|b| *b as u64).sum()
    }
}

#[async_trait]
impl Splitter for Careful {
    async fn split(&self, q: &Query) -> Result<SuccessCode, DistriErr> {
        let mut block = [q.flags; BLOCK];
        block[0] = q.tenant as u8;
        verify(&block, self.expect)
    }
    async fn weight(&self, _q: &Query) -> u64 {
        1
    }
}
