//! Profiling harness: analyse a JSON Lines file (`{"id": …, "text": …, "language"?}`) on one
//! thread and serialise each analysis, as `rapport analyze` does, without the CLI around it.
//!
//! ```text
//! cargo run --release -p rapport-text --example analyze_file -- FILE [LIMIT]
//! valgrind --tool=callgrind target/release/examples/analyze_file FILE 1500
//! ```

use std::io::BufRead;

use rapport_text::Engine;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: analyze_file FILE [LIMIT]");
    let limit: usize = args
        .next()
        .map_or(usize::MAX, |s| s.parse().expect("LIMIT"));
    let input = std::io::BufReader::new(std::fs::File::open(&path).expect("open input"));
    let engine = Engine::global();
    let (mut n, mut bytes) = (0usize, 0usize);
    let mut out = Vec::with_capacity(1 << 16);
    for line in input.lines().take(limit) {
        let line = line.expect("read input");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json line");
        let text = v["text"].as_str().unwrap_or("");
        let a = engine.analyze(text, v["language"].as_str());
        out.clear();
        serde_json::to_writer(&mut out, &a).expect("serialise");
        bytes += out.len();
        n += 1;
    }
    eprintln!("{n} texts, {bytes} bytes of JSON");
}
