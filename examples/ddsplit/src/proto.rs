//! Wire types of the splitter. `DistriErr::Corrupt` embeds the corrupt block itself, so every
//! `Result<SuccessCode, DistriErr>` is ~50 KB and every return moves it.

/// Size of a block on the wire.
pub const BLOCK: usize = 50_000;

/// What a successful split reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuccessCode {
    Stored,
    Deduplicated,
}

/// Why a split failed.
#[derive(Debug)]
pub enum DistriErr {
    /// The block failed its checksum; the block is kept for the error report.
    Corrupt([u8; BLOCK]),
    NotFound,
    Io(std::io::Error),
    Message(String),
}

/// A query as the client sends it: a header and an inline payload.
#[derive(Clone)]
pub struct Query {
    pub id: u64,
    pub tenant: u32,
    pub flags: u8,
    pub payload: [u8; 4096],
}

/// C-compatible header shared with the storage engine.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Header {
    pub magic: u8,
    pub len: u32,
    pub crc: u16,
}

/// A generic wrapper; `Tagged` is its instantiation the service uses.
pub struct Envelope<T> {
    pub seq: u16,
    pub body: T,
}

pub type Tagged = Envelope<u16>;

/// Niche-optimised: `Option<Route>` is as large as `Route`.
pub enum Route {
    Local(Box<str>),
    Remote { host: String, port: u16 },
}

pub type MaybeRoute = Option<Route>;

impl Query {
    pub fn new(id: u64) -> Query {
        Query { id, tenant: (id % 7) as u32, flags: 0, payload: [id as u8; 4096] }
    }
}

/// Checks a block; on a bad checksum the whole block travels back inside the error.
pub fn verify(block: &[u8; BLOCK], expect: u32) -> Result<SuccessCode, DistriErr> {
    let sum = block.iter().step_by(997).fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(*b as u32));
    if sum == expect {
        Ok(SuccessCode::Stored)
    } else if sum % 3 == 0 {
        Ok(SuccessCode::Deduplicated)
    } else {
        Err(DistriErr::Corrupt(*block))
    }
}
