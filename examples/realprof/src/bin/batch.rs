//! A batch job: JSON lines are parsed with serde_json into derived structs, filtered with regexes,
//! aggregated per user in a HashMap and summarised back into JSON.
use std::collections::HashMap;

use realprof::{arg, Rng};
use regex::Regex;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Event {
    pub user: String,
    pub action: String,
    pub url: String,
    pub tags: Vec<String>,
    pub bytes: u64,
}

#[derive(Serialize, Default, Clone)]
pub struct Summary {
    pub user: String,
    pub events: u64,
    pub bytes: u64,
    pub hosts: Vec<String>,
}

fn generate(rng: &mut Rng, n: usize) -> Vec<String> {
    let mut lines = Vec::with_capacity(n);
    for _ in 0..n {
        let tags: Vec<String> = (0..(rng.next() % 6)).map(|_| format!("\"{}\"", rng.word(6))).collect();
        lines.push(format!(
            "{{\"user\":\"u{}\",\"action\":\"{}\",\"url\":\"https://{}.example.com/{}?q={}\",\"tags\":[{}],\"bytes\":{}}}",
            rng.next() % 5000,
            ["get", "put", "delete", "list"][(rng.next() % 4) as usize],
            rng.word(8),
            rng.word(12),
            rng.word(5),
            tags.join(","),
            rng.next() % 100_000
        ));
    }
    lines
}

fn process(lines: &[String], host_re: &Regex, action_re: &Regex) -> HashMap<String, Summary> {
    let mut by_user: HashMap<String, Summary> = HashMap::new();
    for line in lines {
        let ev: Event = serde_json::from_str(line).unwrap();
        if !action_re.is_match(&ev.action) {
            continue;
        }
        let s = by_user.entry(ev.user.clone()).or_default();
        s.user = ev.user;
        s.events += 1;
        s.bytes += ev.bytes + ev.tags.len() as u64;
        if let Some(c) = host_re.captures(&ev.url) {
            s.hosts.push(c[1].to_string());
        }
    }
    by_user
}

fn main() {
    let n = arg(200_000);
    let mut rng = Rng(42);
    let lines = generate(&mut rng, n);
    let host_re = Regex::new(r"^https://([a-z]+)\.example\.com/").unwrap();
    let action_re = Regex::new(r"^(get|put|list)$").unwrap();
    let by_user = process(&lines, &host_re, &action_re);
    let mut out: Vec<Summary> = by_user.into_values().collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes));
    let json = serde_json::to_string(&out[..out.len().min(100)]).unwrap();
    println!("{} users, {} bytes of summary", out.len(), json.len());
}
