//! Profiling harness: analyse a JSON Lines file (`{"id": …, "text": …, "language"?}`) on one
//! thread and serialise each analysis as `rapport analyze` does, without the CLI around it.
//!
//! ```text
//! cargo run --release -p rapport-text --example analyze_file -- FILE [LIMIT [OUTPUT]]
//! valgrind --tool=callgrind target/release/examples/analyze_file FILE 1500
//! ```
//!
//! With OUTPUT, the lines are written there (`{"id": …, <analysis>}`, as the CLI writes them).

use std::io::{BufRead, Write};

use rapport_text::Engine;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: analyze_file FILE [LIMIT [OUTPUT]]");
    let limit: usize = args
        .next()
        .map_or(usize::MAX, |s| s.parse().unwrap_or(usize::MAX));
    let mut output = args
        .next()
        .map(|p| std::io::BufWriter::new(std::fs::File::create(p).expect("create output")));
    let input = std::io::BufReader::new(std::fs::File::open(&path).expect("open input"));
    let engine = Engine::global();
    let (mut n, mut bytes) = (0usize, 0usize);
    let mut out = Vec::with_capacity(1 << 16);
    for line in input.lines().take(limit) {
        let line = line.expect("read input");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json line");
        let text = v["text"].as_str().unwrap_or("");
        let language = v["language"].as_str().filter(|l| !l.trim().is_empty());
        let a = engine.analyze(text, language);
        out.clear();
        out.extend_from_slice(b"{\"id\":");
        serde_json::to_writer(&mut out, &v["id"]).expect("serialise");
        let start = out.len();
        debug_assert_eq!(serde_json::to_vec(&a).ok(), {
            let mut v = Vec::new();
            a.write_json(&mut v);
            Some(v)
        });
        a.write_json(&mut out);
        out[start] = b',';
        out.push(b'\n');
        bytes += out.len();
        n += 1;
        if let Some(o) = output.as_mut() {
            o.write_all(&out).expect("write output");
        }
    }
    eprintln!("{n} texts, {bytes} bytes of JSON");
}
