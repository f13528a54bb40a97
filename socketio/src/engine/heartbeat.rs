//! Heartbeat of one connection: a small state machine that takes `now`. Server-driven in
//! Engine.IO v4 (the server pings, the client answers); client-driven in v3 (the client pings
//! every `pingInterval`, the server answers, and closes the session when no ping came within
//! `pingInterval + pingTimeout` of the last one).

use std::time::Duration;

use tokio::time::Instant;

/// What the heartbeat wants done now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Beat {
    /// Nothing until [`Heartbeat::deadline`].
    Wait,
    /// Send a ping (`2`) now.
    SendPing,
    /// No pong arrived in time: close with `PingTimeout` (or, from
    /// `SessionState::poll_timer`, the session's close deadline passed). The session is
    /// closing: wake its transport.
    TimedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle {
        ping_at: Instant,
    },
    AwaitingPong {
        deadline: Instant,
    },
    /// Engine.IO v3: the client pings; the next one is due before `deadline`.
    AwaitingPing {
        deadline: Instant,
    },
}

/// Ping every `interval`, expect a pong within `timeout` of each ping.
#[derive(Debug, Clone)]
pub(crate) struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    phase: Phase,
}

impl Heartbeat {
    pub(crate) fn new(now: Instant, interval: Duration, timeout: Duration) -> Self {
        Self {
            interval,
            timeout,
            phase: Phase::Idle {
                ping_at: now + interval,
            },
        }
    }

    /// Switch to the client-driven heartbeat of Engine.IO v3: the first ping is due within
    /// `interval + timeout` of `now`.
    pub(crate) fn client_driven(&mut self, now: Instant) {
        self.phase = Phase::AwaitingPing {
            deadline: now + self.interval + self.timeout,
        };
    }

    /// Engine.IO v3: a ping arrived; the next one is due within `interval + timeout`.
    /// Ignored by the server-driven heartbeat.
    pub(crate) fn on_ping(&mut self, now: Instant) {
        if let Phase::AwaitingPing { .. } = self.phase {
            self.client_driven(now);
        }
    }

    /// The next instant at which [`Heartbeat::poll`] has something to do.
    pub(crate) fn deadline(&self) -> Instant {
        match self.phase {
            Phase::Idle { ping_at } => ping_at,
            Phase::AwaitingPong { deadline } | Phase::AwaitingPing { deadline } => deadline,
        }
    }

    /// A pong arrived: the next ping is due one interval from now.
    pub(crate) fn on_pong(&mut self, now: Instant) {
        if let Phase::AwaitingPong { .. } = self.phase {
            self.phase = Phase::Idle {
                ping_at: now + self.interval,
            };
        }
    }

    /// True when no pong can arrive in time any more, even if the timer has not fired
    /// yet (a request may arrive just before the timer task runs).
    pub(crate) fn expired(&self, now: Instant) -> bool {
        match self.phase {
            Phase::Idle { ping_at } => now >= ping_at + self.timeout,
            Phase::AwaitingPong { deadline } | Phase::AwaitingPing { deadline } => now >= deadline,
        }
    }

    pub(crate) fn poll(&mut self, now: Instant) -> Beat {
        match self.phase {
            Phase::Idle { ping_at } if now >= ping_at => {
                // Measured from when the ping was due, so a late timer does not stretch
                // the deadline.
                self.phase = Phase::AwaitingPong {
                    deadline: ping_at + self.timeout,
                };
                Beat::SendPing
            }
            Phase::AwaitingPong { deadline } | Phase::AwaitingPing { deadline }
                if now >= deadline =>
            {
                Beat::TimedOut
            }
            _ => Beat::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_then_timeout() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut hb = Heartbeat::new(t0, ms(300), ms(200));
        assert_eq!(hb.deadline(), t0 + ms(300));
        assert_eq!(hb.poll(t0 + ms(299)), Beat::Wait);
        assert_eq!(hb.poll(t0 + ms(300)), Beat::SendPing);
        assert_eq!(hb.deadline(), t0 + ms(500));
        assert_eq!(hb.poll(t0 + ms(499)), Beat::Wait);
        assert_eq!(hb.poll(t0 + ms(500)), Beat::TimedOut);
    }

    #[test]
    fn late_timer_does_not_stretch_deadline() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut hb = Heartbeat::new(t0, ms(300), ms(200));
        assert!(!hb.expired(t0 + ms(499)));
        assert!(
            hb.expired(t0 + ms(500)),
            "expired even before the ping was sent"
        );
        assert_eq!(hb.poll(t0 + ms(320)), Beat::SendPing);
        assert_eq!(hb.deadline(), t0 + ms(500));
        assert!(hb.expired(t0 + ms(500)));
    }

    #[test]
    fn client_driven_heartbeat_never_pings_and_times_out_without_pings() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut hb = Heartbeat::new(t0, ms(300), ms(200));
        hb.client_driven(t0);
        assert_eq!(hb.deadline(), t0 + ms(500));
        assert_eq!(
            hb.poll(t0 + ms(300)),
            Beat::Wait,
            "the server does not ping"
        );
        hb.on_pong(t0 + ms(310)); // a pong is no ping: ignored
        assert_eq!(hb.deadline(), t0 + ms(500));
        hb.on_ping(t0 + ms(400));
        assert_eq!(hb.deadline(), t0 + ms(900));
        assert!(!hb.expired(t0 + ms(899)));
        assert_eq!(hb.poll(t0 + ms(899)), Beat::Wait);
        assert!(hb.expired(t0 + ms(900)));
        assert_eq!(hb.poll(t0 + ms(900)), Beat::TimedOut);
    }

    #[test]
    fn a_ping_does_not_move_the_server_driven_heartbeat() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut hb = Heartbeat::new(t0, ms(300), ms(200));
        hb.on_ping(t0 + ms(100));
        assert_eq!(hb.deadline(), t0 + ms(300));
    }

    #[test]
    fn pong_reschedules() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut hb = Heartbeat::new(t0, ms(300), ms(200));
        hb.on_pong(t0 + ms(10)); // unsolicited: ignored
        assert_eq!(hb.deadline(), t0 + ms(300));
        assert_eq!(hb.poll(t0 + ms(300)), Beat::SendPing);
        hb.on_pong(t0 + ms(350));
        assert_eq!(hb.deadline(), t0 + ms(650));
        assert_eq!(hb.poll(t0 + ms(600)), Beat::Wait);
    }
}
