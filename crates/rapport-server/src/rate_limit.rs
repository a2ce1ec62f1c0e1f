//! Per-client-address request limits for the pages and posts anyone can reach without signing
//! in: public survey and invitation pages, the anonymous pulse, login, the password-reset
//! pages, inbound webhooks and the other anonymous posts. Signed-in API traffic (bearer
//! tokens) and signed-in pages are not limited here.
//!
//! The limiter is in memory, per instance (behind a load balancer each instance counts
//! separately). It is a GCRA ("leaky bucket as a meter"): one instant per client, the time at
//! which its bucket is empty again, so a burst of `requests` passes at once and then one more
//! every `per / requests`. Memory is bounded: entries whose bucket has drained say nothing and
//! are swept, and beyond [`MAX_CLIENTS`] tracked clients the rest share one bucket.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// How many requests a client may make per period; a full period's worth may come at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

impl RateLimit {
    /// `n` requests per minute; `None` (no limit) for 0.
    pub fn per_minute(n: u32) -> Option<Self> {
        (n > 0).then_some(Self {
            requests: n,
            per: Duration::from_secs(60),
        })
    }
}

/// Most clients tracked one by one; past this (a flood from very many addresses) unknown
/// clients share one bucket until drained entries are swept.
pub const MAX_CLIENTS: usize = 100_000;
/// How often drained entries are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// The key a client is counted under: IPv4 addresses one by one, IPv6 by /64 (one customer
/// line gets a whole /64, so single addresses would be free to rotate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4(u32),
    V6(u64),
    /// Everyone beyond [`MAX_CLIENTS`].
    Overflow,
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(u32::from(v4)),
                None => ClientKey::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

/// A keyed GCRA limiter.
pub struct Limiter {
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of now a client's drained-at time may be and still be let through.
    tolerance: Duration,
    inner: Mutex<Inner>,
}

struct Inner {
    /// When each client's bucket is empty again.
    drained_at: HashMap<ClientKey, Instant>,
    last_sweep: Instant,
}

impl Limiter {
    pub fn new(limit: RateLimit, now: Instant) -> Self {
        let requests = limit.requests.max(1);
        let interval = limit.per / requests;
        Self {
            interval,
            tolerance: interval * (requests - 1),
            inner: Mutex::new(Inner {
                drained_at: HashMap::new(),
                last_sweep: now,
            }),
        }
    }

    /// Lets the request through, or says how long the client must wait.
    pub fn check(&self, key: ClientKey, now: Instant) -> Result<(), Duration> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let since_sweep = now.saturating_duration_since(inner.last_sweep);
        // At the cap, sweep sooner, but still not on every request: a sweep is O(clients).
        if since_sweep >= SWEEP_EVERY
            || (inner.drained_at.len() >= MAX_CLIENTS && since_sweep >= Duration::from_secs(1))
        {
            inner.drained_at.retain(|_, at| *at > now);
            inner.last_sweep = now;
        }
        let key = if inner.drained_at.len() >= MAX_CLIENTS && !inner.drained_at.contains_key(&key) {
            ClientKey::Overflow
        } else {
            key
        };
        let drained = inner.drained_at.get(&key).copied().unwrap_or(now).max(now);
        let ahead = drained.saturating_duration_since(now);
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        inner.drained_at.insert(key, drained + self.interval);
        Ok(())
    }

    /// Clients currently tracked (for tests and the curious).
    pub fn tracked(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drained_at
            .len()
    }
}

/// The client's address: the peer, or behind a proxy we were told to trust, the last
/// `X-Forwarded-For` entry — the one our proxy added. Earlier entries come from the client
/// and could be anything.
pub fn client_ip(trust_proxy: bool, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    if trust_proxy {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(ip) = forwarded.and_then(|v| v.parse::<IpAddr>().ok()) {
            return ip;
        }
    }
    peer.ip()
}

/// Routes anyone may use without signing in, by route template; `None` means every method.
const PUBLIC_ROUTES: &[(&str, Option<Method>)] = &[
    ("/s/{public_id}", None),
    ("/i/{token}", None),
    ("/pulse/{token}", None),
    ("/password/forgot", None),
    ("/password/reset", None),
    ("/login", Some(Method::POST)),
    ("/logout", Some(Method::POST)),
    ("/locale", Some(Method::POST)),
    ("/api/v1/inbound/{public_id}", Some(Method::POST)),
];

fn is_public(route: &str, method: &Method) -> bool {
    PUBLIC_ROUTES
        .iter()
        .any(|(r, m)| *r == route && m.as_ref().is_none_or(|m| m == method))
}

/// The limiter shared by the public routes of one instance.
#[derive(Clone)]
pub struct PublicLimit {
    pub state: AppState,
    pub limiter: Option<Arc<Limiter>>,
}

impl PublicLimit {
    pub fn new(state: AppState) -> Self {
        let limiter = state
            .config
            .public_rate_limit
            .map(|l| Arc::new(Limiter::new(l, Instant::now())));
        Self { state, limiter }
    }
}

/// Route layer: answers 429 with `Retry-After` to a client over the limit on a public route.
/// Web routes get a localised page (`web::html_errors` renders the JSON error), `/api/` JSON.
pub async fn public_routes(State(limit): State<PublicLimit>, req: Request, next: Next) -> Response {
    let Some(limiter) = &limit.limiter else {
        return next.run(req).await;
    };
    let Some(route) = req.extensions().get::<MatchedPath>().map(|p| p.as_str()) else {
        return next.run(req).await;
    };
    if !is_public(route, req.method()) {
        return next.run(req).await;
    }
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        return next.run(req).await;
    };
    let ip = client_ip(limit.state.config.trust_proxy, req.headers(), peer);
    match limiter.check(ClientKey::from(ip), Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            limit.state.metrics.rate_limited(route);
            // Counted in the metric; a flood must not flood the log too.
            tracing::debug!(%ip, route, "rate limited");
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut resp = ApiError::RateLimited(format!(
                "too many requests from your address; try again in {secs} s"
            ))
            .into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;

    fn limit(requests: u32, secs: u64) -> RateLimit {
        RateLimit {
            requests,
            per: Duration::from_secs(secs),
        }
    }

    #[test]
    fn a_burst_passes_then_one_per_interval() {
        let t0 = Instant::now();
        let l = Limiter::new(limit(3, 60), t0);
        let a = ClientKey::V4(1);
        for _ in 0..3 {
            assert_eq!(l.check(a, t0), Ok(()));
        }
        assert_eq!(l.check(a, t0), Err(Duration::from_secs(20)));
        // Another client is counted on its own.
        assert_eq!(l.check(ClientKey::V4(2), t0), Ok(()));
        // Refused requests cost nothing: after 20 s exactly one more passes.
        assert_eq!(
            l.check(a, t0 + Duration::from_secs(19)),
            Err(Duration::from_secs(1))
        );
        assert_eq!(l.check(a, t0 + Duration::from_secs(20)), Ok(()));
        assert!(l.check(a, t0 + Duration::from_secs(20)).is_err());
        // A quiet minute refills the whole burst.
        let later = t0 + Duration::from_secs(80);
        for _ in 0..3 {
            assert_eq!(l.check(a, later), Ok(()));
        }
        assert!(l.check(a, later).is_err());
    }

    #[test]
    fn drained_clients_are_swept_and_memory_is_bounded() {
        let t0 = Instant::now();
        let l = Limiter::new(limit(2, 2), t0);
        for i in 0..1000 {
            l.check(ClientKey::V4(i), t0).unwrap();
        }
        assert_eq!(l.tracked(), 1000);
        // Everyone drained after a second; the next check past the sweep interval forgets them.
        let later = t0 + SWEEP_EVERY;
        l.check(ClientKey::V4(5000), later).unwrap();
        assert_eq!(l.tracked(), 1);
    }

    #[test]
    fn past_the_cap_new_clients_share_one_bucket() {
        let t0 = Instant::now();
        let l = Limiter::new(limit(2, 3600), t0);
        for i in 0..MAX_CLIENTS as u32 {
            l.check(ClientKey::V4(i), t0).unwrap();
        }
        assert_eq!(l.tracked(), MAX_CLIENTS);
        // Nobody has drained (an hour's limit), so the newcomers share the overflow bucket.
        assert!(l.check(ClientKey::V6(1), t0).is_ok());
        assert!(l.check(ClientKey::V6(2), t0).is_ok());
        assert!(l.check(ClientKey::V6(3), t0).is_err());
        assert_eq!(l.tracked(), MAX_CLIENTS + 1);
        // Known clients keep their own bucket.
        assert!(l.check(ClientKey::V4(7), t0).is_ok());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::from(a), ClientKey::from(b));
        assert_ne!(ClientKey::from(a), ClientKey::from(c));
        let mapped = IpAddr::V6(Ipv6Addr::from(0xffff_c000_0201u128));
        assert_eq!(
            ClientKey::from(mapped),
            ClientKey::from("192.0.2.1".parse::<IpAddr>().unwrap())
        );
    }

    #[test]
    fn the_proxy_added_forwarded_entry_counts_only_when_trusted() {
        let peer: SocketAddr = "10.0.0.5:40000".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.7"),
        );
        assert_eq!(
            client_ip(true, &h, peer),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(false, &h, peer), peer.ip());
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("not an address"),
        );
        assert_eq!(client_ip(true, &h, peer), peer.ip());
    }

    #[test]
    fn only_anonymous_routes_are_public() {
        assert!(is_public("/s/{public_id}", &Method::GET));
        assert!(is_public("/login", &Method::POST));
        assert!(!is_public("/login", &Method::GET));
        assert!(is_public("/api/v1/inbound/{public_id}", &Method::POST));
        assert!(!is_public("/api/v1/surveys/{id}/responses", &Method::POST));
        assert!(!is_public("/users", &Method::POST));
    }
}
