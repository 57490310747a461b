//! An async request/response service on tokio: requests come in over a channel, each is parsed
//! into headers (a HashMap that grows), answered with a formatted body, and the response (a large
//! value) is moved back through another channel.
use std::collections::HashMap;

use realprof::{arg, Rng};
use tokio::sync::mpsc;

pub struct Request {
    pub path: String,
    pub raw_headers: Vec<(String, String)>,
}

pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
    /// A fixed-size trailer: moving a Response copies 4 KB.
    pub trailer: [u8; 4096],
}

fn parse_headers(req: &Request) -> HashMap<String, String> {
    let mut h = HashMap::new();
    for (k, v) in &req.raw_headers {
        h.insert(k.to_lowercase(), v.clone());
    }
    h
}

fn render(req: &Request, headers: &HashMap<String, String>) -> String {
    let mut body = String::new();
    for (k, v) in headers {
        body.push_str(&format!("{k}={v};"));
    }
    body.push_str(&req.path);
    body
}

async fn handle(req: Request) -> Response {
    let headers = parse_headers(&req);
    let body = render(&req, &headers);
    let mut trailer = [0u8; 4096];
    trailer[0] = body.len() as u8;
    Response { status: 200, headers, body, trailer }
}

fn make_request(rng: &mut Rng, i: usize) -> Request {
    let n = 8 + (rng.next() % 24) as usize;
    let raw_headers = (0..n).map(|_| (rng.word(10), rng.word(30))).collect();
    Request { path: format!("/item/{i}"), raw_headers }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let requests = arg(60_000);
    let (tx, mut rx) = mpsc::channel::<Request>(256);
    let (rtx, mut rrx) = mpsc::channel::<Response>(256);
    let producer = tokio::spawn(async move {
        let mut rng = Rng(0x5eed);
        for i in 0..requests {
            if tx.send(make_request(&mut rng, i)).await.is_err() {
                break;
            }
        }
    });
    let server = tokio::spawn(async move {
        while let Some(req) = rx.recv().await {
            let resp = handle(req).await;
            if rtx.send(resp).await.is_err() {
                break;
            }
        }
    });
    let mut bytes = 0usize;
    let mut ok = 0usize;
    while let Some(resp) = rrx.recv().await {
        bytes += resp.body.len() + resp.headers.len() + resp.trailer[0] as usize;
        ok += (resp.status == 200) as usize;
    }
    producer.await.unwrap();
    server.await.unwrap();
    println!("{ok} responses, {bytes} bytes");
}
