//! Latency samples and percentiles.

use std::time::Duration;

/// Latencies in microseconds.
#[derive(Default, Clone, Debug)]
pub struct Samples(Vec<u64>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d.as_micros() as u64);
    }

    /// The q-quantile (0..=1) in milliseconds, nearest-rank; 0 when empty.
    pub fn ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut v = self.0.clone();
        v.sort_unstable();
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1] as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.0.iter().copied().max().unwrap_or(0) as f64 / 1000.0
    }
}

/// Rounds to 0.1 ms for reports.
pub fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// At most `max` characters of `s`, marked when cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut s = Samples::default();
        for ms in 1..=100 {
            s.push(Duration::from_millis(ms));
        }
        assert_eq!(s.ms(0.5), 50.0);
        assert_eq!(s.ms(0.99), 99.0);
        assert_eq!(s.max_ms(), 100.0);
        assert_eq!(Samples::default().ms(0.99), 0.0);
    }
}
