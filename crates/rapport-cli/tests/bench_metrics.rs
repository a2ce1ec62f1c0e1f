//! `rapport bench metrics` run as a real process on a small SQLite database, kept so its rows
//! can be counted by hand and compared with the totals the generator printed.

use std::process::Command;

use sqlx::Connection;

fn field(line: &str, name: &str) -> i64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} missing in {line}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_metrics_prints_the_table_and_generates_what_it_counts() {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["bench", "metrics", "--n", "2000", "--reps", "2", "--keep"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Database kept: "))
        .expect("kept database URL")
        .to_string();
    let path = url.strip_prefix("sqlite://").unwrap().to_string();
    let dir = std::path::Path::new(&path).parent().unwrap().to_path_buf();

    // The table: a header, a rule and seven rows with three figures each.
    assert!(stdout.contains("| query (2000 responses, SQLite (WAL), 2 reps after 1 warm-up)"));
    assert!(stdout.contains("storage sums equal the generator's tally in all"));
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| query"))
        .collect();
    assert_eq!(rows.len(), 7, "{stdout}");
    assert!(rows[0].starts_with("| NPS by touchpoint × week"));
    for r in &rows {
        let cells: Vec<&str> = r.split('|').map(str::trim).collect();
        for c in &cells[3..6] {
            assert!(c.parse::<f64>().is_ok_and(|ms| ms >= 0.0), "{r}");
        }
    }

    // A hand count of the stored rows equals the generator's printed totals.
    let totals = stdout
        .lines()
        .find(|l| l.starts_with("Generated totals:"))
        .expect("totals line");
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let (n, nps_n, promoters, detractors, csat_n, satisfied, sentiment_n, negative): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(nps), SUM(nps >= 9), SUM(nps <= 6), COUNT(csat), SUM(csat >= 4), \
         COUNT(sentiment_score), SUM(sentiment_label = 'negative') FROM responses",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(n, 2000);
    assert_eq!(field(totals, "responses"), n);
    assert_eq!(field(totals, "nps_n"), nps_n);
    assert_eq!(field(totals, "promoters"), promoters);
    assert_eq!(field(totals, "detractors"), detractors);
    assert_eq!(field(totals, "csat_n"), csat_n);
    assert_eq!(field(totals, "csat_satisfied"), satisfied);
    assert_eq!(field(totals, "sentiment_n"), sentiment_n);
    assert_eq!(field(totals, "negative"), negative);
    // Every row carries the period keys of its own timestamp, over about a year.
    let (weeks, days): (i64, i64) =
        sqlx::query_as("SELECT COUNT(DISTINCT week), COUNT(DISTINCT day) FROM responses")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(
        (52..=54).contains(&weeks) && days > 300,
        "{weeks} weeks, {days} days"
    );
    let bad: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM responses WHERE day != substr(submitted_at, 1, 10) OR month != substr(submitted_at, 1, 7)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(bad.0, 0);
    conn.close().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
