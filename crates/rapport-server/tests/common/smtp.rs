//! A small SMTP sink for tests: accepts what lettre sends and records each message as it
//! arrived on the wire.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as the sink received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

pub type Inbox = Arc<Mutex<Vec<Mail>>>;

/// Speaks just enough SMTP (EHLO, MAIL, RCPT, DATA, QUIT) to accept what lettre sends.
pub async fn run_sink(listener: TcpListener, inbox: Inbox) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let inbox = inbox.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            let mut to = vec![];
            w.write_all(b"220 sink ESMTP\r\n").await.ok();
            let mut line = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let cmd = line.trim_end().to_ascii_uppercase();
                let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                    b"250-sink\r\n250 8BITMIME\r\n"
                } else if cmd.starts_with("RCPT TO:") {
                    to.push(
                        line.trim_end()[8..]
                            .trim_matches(['<', '>', ' '])
                            .to_string(),
                    );
                    b"250 ok\r\n"
                } else if cmd == "DATA" {
                    w.write_all(b"354 go on\r\n").await.ok();
                    let mut data = vec![];
                    let mut l = Vec::new();
                    loop {
                        l.clear();
                        if r.read_until(b'\n', &mut l).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if l == b".\r\n" {
                            break;
                        }
                        // Dot-unstuffing (RFC 5321 §4.5.2).
                        data.extend_from_slice(if l.starts_with(b"..") { &l[1..] } else { &l });
                    }
                    inbox.lock().unwrap().push(Mail {
                        to: std::mem::take(&mut to),
                        data,
                    });
                    b"250 queued\r\n"
                } else if cmd == "QUIT" {
                    w.write_all(b"221 bye\r\n").await.ok();
                    return;
                } else {
                    b"250 ok\r\n"
                };
                w.write_all(reply).await.ok();
            }
        });
    }
}

/// Waits until the inbox holds `n` messages and returns them (fails after `secs`).
pub async fn wait_for(inbox: &Inbox, n: usize, secs: u64) -> Vec<Mail> {
    for _ in 0..secs * 10 {
        let got = inbox.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("expected {n} messages, got {}", inbox.lock().unwrap().len());
}

/// Starts a sink on a free loopback port: its port and its inbox.
pub async fn spawn_sink() -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    tokio::spawn(run_sink(listener, inbox.clone()));
    (port, inbox)
}

impl Mail {
    /// The decoded subject and plain-text body, one after the other.
    pub fn text(&self) -> String {
        let Some(m) = mail_parser::MessageParser::default().parse(&self.data) else {
            return String::new();
        };
        format!(
            "{}\n\n{}",
            m.subject().unwrap_or_default(),
            m.body_text(0).unwrap_or_default()
        )
    }
}
