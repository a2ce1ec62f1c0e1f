//! Typed configuration. Secrets (the database URL may hold a password) are redacted in `Debug`.

use std::net::SocketAddr;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    /// The address users reach Rapport at; `https://…` turns on `Secure` cookies.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Trust `X-Forwarded-For`/`X-Forwarded-Proto` (only behind a proxy you run).
    pub trust_proxy: bool,
    /// Demo mode shows the demo logins on the login page.
    pub demo: bool,
    /// Requests per client address to the pages and posts open without signing in
    /// (`None`: unlimited). See [`crate::rate_limit`].
    pub public_rate_limit: Option<crate::rate_limit::RateLimit>,
    /// How long a password-reset link works.
    pub password_reset_ttl: chrono::Duration,
    /// Where invitation e-mails go out: `smtp://host:port` (plain, e.g. a local relay),
    /// `smtp://host:port?tls=required` (STARTTLS) or `smtps://host:port`; credentials as
    /// `smtp://user:password@host`. `None` leaves e-mail invitations undeliverable.
    pub smtp_url: Option<String>,
    /// The `From:` of invitation e-mails, e.g. `Aurora Insurance <feedback@aurora.example>`.
    pub mail_from: String,
    /// How long after an invitation e-mail its single reminder goes out.
    pub reminder_after: chrono::Duration,
    /// The first webhook retry waits this long; each further one twice as long, up to
    /// `webhook_retry_max`.
    pub webhook_retry_base: chrono::Duration,
    /// The longest wait between two webhook attempts.
    pub webhook_retry_max: chrono::Duration,
    /// How long a claimed job stays a worker's before another may take it over (the worker
    /// died); longer than any job takes.
    pub job_lease: chrono::Duration,
    /// PostgreSQL: how long a request waits for a database connection before it is answered
    /// 503, so requests fail fast while the database is unreachable.
    pub db_acquire_timeout: std::time::Duration,
    /// On shutdown, how long requests in flight and the running job may take to finish; then
    /// the job is stopped and handed back to the queue, and unfinished requests are dropped.
    pub shutdown_grace: std::time::Duration,
    /// The longest a request may take before it is answered 503 (`timeout`): a bound for
    /// requests caught in a database that stopped answering mid-query.
    pub request_timeout: std::time::Duration,
    /// The longest a client may take to send a request's headers (and the longest a kept-alive
    /// connection may sit idle); then the connection is closed, so slow clients cannot hold
    /// connections open one byte at a time.
    pub header_read_timeout: std::time::Duration,
    /// Where the semantic tier's model file is looked for (`None`: the tier is off).
    pub model_dir: Option<std::path::PathBuf>,
}

impl Config {
    pub fn new(database_url: impl Into<String>, addr: SocketAddr) -> Self {
        Self {
            database_url: database_url.into(),
            addr,
            public_url: None,
            body_limit: 1024 * 1024,
            trust_proxy: false,
            demo: false,
            public_rate_limit: crate::rate_limit::RateLimit::per_minute(120),
            password_reset_ttl: chrono::Duration::minutes(60),
            smtp_url: None,
            mail_from: "Rapport <rapport@localhost>".into(),
            reminder_after: chrono::Duration::days(3),
            webhook_retry_base: chrono::Duration::seconds(2),
            webhook_retry_max: chrono::Duration::hours(1),
            job_lease: chrono::Duration::seconds(120),
            db_acquire_timeout: rapport_storage::PoolOptions::default().acquire_timeout,
            shutdown_grace: std::time::Duration::from_secs(20),
            request_timeout: std::time::Duration::from_secs(30),
            header_read_timeout: std::time::Duration::from_secs(10),
            model_dir: None,
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Hides the password part of a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{user}:***@{}", &url[..s], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("addr", &self.addr)
            .field("public_url", &self.public_url)
            .field("body_limit", &self.body_limit)
            .field("trust_proxy", &self.trust_proxy)
            .field("demo", &self.demo)
            .field("public_rate_limit", &self.public_rate_limit)
            .field("password_reset_ttl", &self.password_reset_ttl)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("reminder_after", &self.reminder_after)
            .field("webhook_retry_base", &self.webhook_retry_base)
            .field("webhook_retry_max", &self.webhook_retry_max)
            .field("job_lease", &self.job_lease)
            .field("db_acquire_timeout", &self.db_acquire_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("request_timeout", &self.request_timeout)
            .field("header_read_timeout", &self.header_read_timeout)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_debug_output() {
        let c = super::Config::new(
            "postgres://app:s3cret@db:5432/rapport",
            "127.0.0.1:0".parse().unwrap(),
        );
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("app:***@db:5432/rapport"));
        let mut c = c;
        c.smtp_url = Some("smtps://mailer:hunter22@smtp.example:465".into());
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter22"), "{shown}");
    }
}
