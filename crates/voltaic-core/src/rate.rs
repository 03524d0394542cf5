//! A per-window token bucket: a renderer may send `burst` messages at once and
//! `per_second` messages a second after that. What goes over is refused before it is
//! queued, so a flooding window costs the main process a counter, not its handlers.

use std::time::Instant;

pub(crate) struct RateLimiter {
    per_second: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
    refused: u64,
}

impl RateLimiter {
    pub(crate) fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            last: Instant::now(),
            refused: 0,
        }
    }

    /// Takes one message's token; `Err(n)` when there is none, `n` counting the
    /// messages refused so far.
    pub(crate) fn take(&mut self, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            self.refused += 1;
            Err(self.refused)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = RateLimiter::new(10, 5);
        for _ in 0..5 {
            assert!(bucket.take(start).is_ok());
        }
        assert_eq!(bucket.take(start), Err(1));
        // 0.25 s at 10/s refills two tokens.
        let later = start + Duration::from_millis(250);
        assert!(bucket.take(later).is_ok());
        assert!(bucket.take(later).is_ok());
        assert_eq!(bucket.take(later), Err(2));
        // Never more than the burst, however long it waited.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..5 {
            assert!(bucket.take(much_later).is_ok());
        }
        assert!(bucket.take(much_later).is_err());
    }
}
