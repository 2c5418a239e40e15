//! Defences against cheap, patient attacks from the meeting's network:
//! guessing PINs, holding many connections from one address, creating many
//! members from one phone. `docs/SECURITY.md` explains the numbers.
//!
//! Clients are told apart by address: an IPv4 address, or the /64 prefix of
//! an IPv6 address (one device can pick any address in its /64).
//!
//! The PIN limit is a token bucket written here rather than `governor`'s:
//! a lookup must be refused *before* it is made when the bucket is empty,
//! and cost a token only when it misses, which needs a look at the bucket
//! without taking from it; and the global bucket spares addresses that
//! found a meeting before.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A sustained rate with a burst: a token bucket's shape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Tokens the bucket holds when full.
    pub burst: u32,
    /// Time for one token to come back.
    pub every: Duration,
}

impl Rate {
    pub const fn new(burst: u32, every: Duration) -> Rate {
        Rate { burst, every }
    }
}

/// The limits, all configurable (`Config::guard`).
#[derive(Clone, Debug)]
pub struct GuardConfig {
    /// Failed PIN lookups (`/j`, `/screen`, `/qr`, websocket `hello`) per
    /// client address.
    pub pin_failures_per_address: Rate,
    /// Failed PIN lookups from all addresses together. When it runs out,
    /// only addresses that found a meeting before may look PINs up.
    pub pin_failures_global: Rate,
    /// Open connections (HTTP and websocket) per client address; 0: no cap.
    pub connections_per_address: usize,
    /// Members one address may create in a meeting without a roster.
    pub members_per_address: u32,
    /// Loopback clients (the organiser's own laptop, load tests) are not
    /// subject to the per-address connection and member caps.
    pub trust_loopback: bool,
    /// Reverse proxies in front of the server (`--trusted-proxy`): a
    /// request from one of them is counted for the client its
    /// `X-Forwarded-For` names (the address the proxy saw), and the proxy
    /// itself is not capped. Anyone else's `X-Forwarded-For` is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// A request's headers must arrive within this time, and an idle
    /// keep-alive connection is closed after it.
    pub header_timeout: Duration,
    /// A request's body must arrive within this time.
    pub body_timeout: Duration,
    /// A websocket must have joined a meeting within this time.
    pub join_within: Duration,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            pin_failures_per_address: Rate::new(5, Duration::from_secs(20)),
            pin_failures_global: Rate::new(30, Duration::from_secs(5)),
            connections_per_address: 64,
            members_per_address: 3,
            trust_loopback: true,
            trusted_proxies: Vec::new(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            join_within: Duration::from_secs(60),
        }
    }
}

/// How a client is told apart: IPv4 address, or IPv6 /64 prefix.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A token bucket.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(rate.burst),
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let secs = now.saturating_duration_since(self.at).as_secs_f64();
        let per = rate.every.as_secs_f64().max(1e-9);
        self.tokens = (self.tokens + secs / per).min(f64::from(rate.burst));
        self.at = now;
    }

    /// Whole seconds until one token is back (0 when one is there).
    fn wait(&self, rate: Rate) -> u64 {
        if self.tokens >= 1.0 {
            0
        } else {
            ((1.0 - self.tokens) * rate.every.as_secs_f64()).ceil() as u64
        }
    }
}

/// A refused lookup: try again after `retry_after` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyGuesses {
    pub retry_after: u64,
}

/// Most addresses remembered; past it, full buckets and old entries go.
const MAX_TRACKED: usize = 100_000;
/// How long an address that found a meeting is trusted by the global limit.
const GOOD_FOR: Duration = Duration::from_secs(12 * 3600);

#[derive(Default)]
struct PinState {
    per_address: HashMap<IpAddr, Bucket>,
    global: Option<Bucket>,
    /// Addresses that found a meeting, and when.
    good: HashMap<IpAddr, Instant>,
}

pub struct Guard {
    pub config: GuardConfig,
    pins: Mutex<PinState>,
    connections: Mutex<HashMap<IpAddr, usize>>,
    /// The other nodes of a cluster: they relay many clients each, so no
    /// per-address cap applies to them.
    nodes: std::sync::RwLock<Vec<IpAddr>>,
}

impl Guard {
    pub fn new(config: GuardConfig) -> Guard {
        Guard {
            config,
            pins: Mutex::new(PinState::default()),
            connections: Mutex::new(HashMap::new()),
            nodes: std::sync::RwLock::new(Vec::new()),
        }
    }

    /// Sets the addresses of the cluster's other nodes.
    pub fn trust(&self, nodes: Vec<IpAddr>) {
        *self.nodes.write().unwrap_or_else(|e| e.into_inner()) = nodes;
    }

    /// Whether `ip` may look a PIN up now, without counting anything: for
    /// a lookup that must wait (the cluster's database) before
    /// `pin_lookup` counts it.
    pub fn pin_check(&self, ip: IpAddr) -> Result<(), TooManyGuesses> {
        let now = Instant::now();
        let key = client_key(ip);
        let (per, glob) = (
            self.config.pin_failures_per_address,
            self.config.pin_failures_global,
        );
        let s = self.pins.lock().unwrap_or_else(|e| e.into_inner());
        let mut mine = s
            .per_address
            .get(&key)
            .copied()
            .unwrap_or_else(|| Bucket::full(per, now));
        mine.refill(per, now);
        if mine.tokens < 1.0 {
            return Err(TooManyGuesses {
                retry_after: mine.wait(per),
            });
        }
        let mut global = s.global.unwrap_or_else(|| Bucket::full(glob, now));
        global.refill(glob, now);
        let trusted = s
            .good
            .get(&key)
            .is_some_and(|t| now.saturating_duration_since(*t) < GOOD_FOR);
        if global.tokens < 1.0 && !trusted {
            return Err(TooManyGuesses {
                retry_after: global.wait(glob),
            });
        }
        Ok(())
    }

    /// Looks a PIN up for `ip` through `find`, counting a miss as a guess.
    /// A refused address learns nothing, whether the PIN exists or not.
    pub fn pin_lookup<T>(
        &self,
        ip: IpAddr,
        find: impl FnOnce() -> Option<T>,
    ) -> Result<Option<T>, TooManyGuesses> {
        self.pin_lookup_at(ip, Instant::now(), find)
    }

    pub fn pin_lookup_at<T>(
        &self,
        ip: IpAddr,
        now: Instant,
        find: impl FnOnce() -> Option<T>,
    ) -> Result<Option<T>, TooManyGuesses> {
        let key = client_key(ip);
        let (per, glob) = (
            self.config.pin_failures_per_address,
            self.config.pin_failures_global,
        );
        let mut s = self.pins.lock().unwrap_or_else(|e| e.into_inner());
        let mut mine = s
            .per_address
            .get(&key)
            .copied()
            .unwrap_or_else(|| Bucket::full(per, now));
        mine.refill(per, now);
        let mut global = s.global.unwrap_or_else(|| Bucket::full(glob, now));
        global.refill(glob, now);
        s.global = Some(global);
        let trusted = s
            .good
            .get(&key)
            .is_some_and(|t| now.saturating_duration_since(*t) < GOOD_FOR);
        if mine.tokens < 1.0 {
            return Err(TooManyGuesses {
                retry_after: mine.wait(per),
            });
        }
        if global.tokens < 1.0 && !trusted {
            return Err(TooManyGuesses {
                retry_after: global.wait(glob),
            });
        }
        let found = find();
        if found.is_some() {
            if s.good.len() >= MAX_TRACKED {
                s.good
                    .retain(|_, t| now.saturating_duration_since(*t) < GOOD_FOR);
            }
            if s.good.len() < MAX_TRACKED {
                s.good.insert(key, now);
            }
            return Ok(found);
        }
        mine.tokens -= 1.0;
        if let Some(g) = s.global.as_mut() {
            g.tokens = (g.tokens - 1.0).max(0.0);
            if g.tokens < 1.0 {
                tracing::warn!("many wrong meeting PINs: someone may be guessing");
            }
        }
        if s.per_address.len() >= MAX_TRACKED {
            // Full buckets carry no memory worth keeping.
            s.per_address.retain(|_, b| {
                b.refill(per, now);
                b.tokens < f64::from(per.burst)
            });
        }
        if s.per_address.len() < MAX_TRACKED || s.per_address.contains_key(&key) {
            s.per_address.insert(key, mine);
        }
        Ok(None)
    }

    /// The client a request from `peer` is for: `peer` itself, or when
    /// `peer` is a trusted proxy, the last address of its `X-Forwarded-For`
    /// (the one that proxy added: whatever came before it, the client may
    /// have written).
    pub fn client_of(&self, peer: SocketAddr, forwarded_for: Option<&str>) -> SocketAddr {
        if !self.trusted_proxy(peer.ip()) {
            return peer;
        }
        forwarded_for
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok())
            .map_or(peer, |ip| SocketAddr::new(ip, 0))
    }

    /// Whether `ip` is a trusted proxy (an IPv4 proxy seen on an IPv6
    /// socket as `::ffff:a.b.c.d` too).
    fn trusted_proxy(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.config.trusted_proxies.contains(&ip)
    }

    /// Whether the per-address caps apply to `ip`.
    pub fn capped(&self, ip: IpAddr) -> bool {
        let trusted = (self.config.trust_loopback && ip.is_loopback())
            || self.trusted_proxy(ip)
            || self
                .nodes
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&ip);
        !trusted
    }

    /// Takes a connection slot for `ip`; `None` when the address has its
    /// share already. The slot is given back when dropped.
    pub fn connection(self: &Arc<Self>, ip: IpAddr) -> Option<ConnSlot> {
        let cap = self.config.connections_per_address;
        if cap == 0 || !self.capped(ip) {
            return Some(ConnSlot { guard: None });
        }
        let key = client_key(ip);
        let mut map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(key).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(ConnSlot {
            guard: Some((self.clone(), key)),
        })
    }
}

/// One open connection of an address, counted until dropped.
pub struct ConnSlot {
    guard: Option<(Arc<Guard>, IpAddr)>,
}

impl Drop for ConnSlot {
    fn drop(&mut self) {
        if let Some((guard, key)) = self.guard.take() {
            let mut map = guard.connections.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = map.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn guard(per: Rate, global: Rate) -> Guard {
        Guard::new(GuardConfig {
            pin_failures_per_address: per,
            pin_failures_global: global,
            ..GuardConfig::default()
        })
    }

    #[test]
    fn misses_run_out_per_address_then_come_back() {
        let g = guard(
            Rate::new(3, Duration::from_secs(10)),
            Rate::new(100, Duration::from_secs(1)),
        );
        let t0 = Instant::now();
        let a = ip("10.0.0.7");
        for _ in 0..3 {
            assert_eq!(g.pin_lookup_at(a, t0, || None::<()>), Ok(None));
        }
        // Refused whether or not the PIN exists: no oracle.
        assert_eq!(
            g.pin_lookup_at(a, t0, || Some(())),
            Err(TooManyGuesses { retry_after: 10 })
        );
        // Someone else is not affected.
        assert_eq!(g.pin_lookup_at(ip("10.0.0.8"), t0, || Some(1)), Ok(Some(1)));
        // One token back after 10 s.
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(g.pin_lookup_at(a, t1, || None::<()>), Ok(None));
        assert!(g.pin_lookup_at(a, t1, || None::<()>).is_err());
        // Hits cost nothing.
        let b = ip("10.0.0.9");
        for _ in 0..20 {
            assert_eq!(g.pin_lookup_at(b, t0, || Some(())), Ok(Some(())));
        }
    }

    #[test]
    fn the_global_limit_spares_addresses_that_found_a_meeting() {
        let g = guard(
            Rate::new(2, Duration::from_secs(60)),
            Rate::new(4, Duration::from_secs(60)),
        );
        let t = Instant::now();
        let member = ip("192.168.1.50");
        assert_eq!(g.pin_lookup_at(member, t, || Some(())), Ok(Some(())));
        for i in 0..4 {
            let attacker = ip(&format!("192.168.1.{}", 100 + i / 2));
            assert_eq!(g.pin_lookup_at(attacker, t, || None::<()>), Ok(None));
        }
        // A fresh address is refused while the global budget is spent...
        assert!(
            g.pin_lookup_at(ip("192.168.1.200"), t, || Some(()))
                .is_err()
        );
        // ...but the member who joined before reconnects.
        assert_eq!(g.pin_lookup_at(member, t, || Some(())), Ok(Some(())));
    }

    #[test]
    fn ipv6_clients_are_told_apart_by_their_64_prefix() {
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa::1")),
            client_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            client_key(ip("2001:db8:1:2::1")),
            client_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(client_key(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let g = Guard::new(GuardConfig {
            trusted_proxies: vec![ip("10.0.0.5")],
            ..GuardConfig::default()
        });
        let proxy: SocketAddr = "10.0.0.5:40000".parse().unwrap();
        let other: SocketAddr = "203.0.113.9:40000".parse().unwrap();
        // The last address is the one the proxy added.
        assert_eq!(
            g.client_of(proxy, Some("1.2.3.4, 198.51.100.7")).ip(),
            ip("198.51.100.7")
        );
        assert_eq!(
            g.client_of(proxy, Some("2001:db8::1")).ip(),
            ip("2001:db8::1")
        );
        assert_eq!(g.client_of(proxy, None), proxy);
        assert_eq!(g.client_of(proxy, Some("nonsense")), proxy);
        // Anyone else cannot pick their address.
        assert_eq!(g.client_of(other, Some("198.51.100.7")), other);
        assert!(!g.capped(ip("10.0.0.5")));
        let mapped: SocketAddr = "[::ffff:10.0.0.5]:40000".parse().unwrap();
        assert_eq!(
            g.client_of(mapped, Some("198.51.100.7")).ip(),
            ip("198.51.100.7")
        );
        assert!(g.capped(ip("203.0.113.9")));
    }

    #[test]
    fn connection_slots_are_counted_per_address() {
        let g = Arc::new(Guard::new(GuardConfig {
            connections_per_address: 2,
            trust_loopback: false,
            ..GuardConfig::default()
        }));
        let a = ip("10.0.0.1");
        let s1 = g.connection(a).unwrap();
        let _s2 = g.connection(a).unwrap();
        assert!(g.connection(a).is_none());
        assert!(g.connection(ip("10.0.0.2")).is_some());
        drop(s1);
        assert!(g.connection(a).is_some());
    }
}
