//! UTC timestamps: milliseconds since the epoch in the registry, RFC 3339 in
//! metadata.json and JSON output, "3 min ago" in tables.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Self(d.as_millis().min(i64::MAX as u128) as i64),
            Err(e) => Self(-(e.duration().as_millis().min(i64::MAX as u128) as i64)),
        }
    }

    pub fn to_system_time(self) -> SystemTime {
        if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_millis(self.0 as u64)
        } else {
            UNIX_EPOCH - Duration::from_millis(self.0.unsigned_abs())
        }
    }

    /// Parses RFC 3339 (`2025-11-08T14:43:00Z`, fractions allowed).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        humantime::parse_rfc3339_weak(s)
            .ok()
            .map(Self::from_system_time)
    }

    /// "just now", "42 s ago", "3 min ago", "5 h ago", "12 d ago".
    pub fn ago(self, now: Timestamp) -> String {
        let secs = self.secs_before(now);
        match secs {
            0..=4 => "just now".to_string(),
            5..=59 => format!("{secs} s ago"),
            60..=3599 => format!("{} min ago", secs / 60),
            3600..=86_399 => format!("{} h ago", secs / 3600),
            _ => format!("{} d ago", secs / 86_400),
        }
    }

    /// Whole seconds from this time to `now`, 0 if it is later; saturating,
    /// since a time from outside (another host's JSON) may be anything.
    pub fn secs_before(self, now: Timestamp) -> i64 {
        now.0.saturating_sub(self.0).max(0) / 1000
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with second precision, as the seed's metadata uses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = Timestamp(self.0 - self.0.rem_euclid(1000)).to_system_time();
        write!(f, "{}", humantime::format_rfc3339_seconds(t))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    /// Accepts RFC 3339 strings and, for seed-era registries, Unix seconds.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Seconds(i64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(s) => Timestamp::parse_rfc3339(&s)
                .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {s:?}"))),
            Raw::Seconds(secs) => Ok(Timestamp(secs.saturating_mul(1000))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = Timestamp::parse_rfc3339("2025-11-08T14:43:00Z").unwrap();
        assert_eq!(t.to_string(), "2025-11-08T14:43:00Z");
        assert_eq!(t.millis(), 1_762_612_980_000);
    }

    #[test]
    fn ago_buckets() {
        let now = Timestamp::from_millis(10_000_000_000);
        let back = |s: i64| Timestamp::from_millis(now.millis() - s * 1000);
        assert_eq!(back(1).ago(now), "just now");
        assert_eq!(back(42).ago(now), "42 s ago");
        assert_eq!(back(180).ago(now), "3 min ago");
        assert_eq!(back(5 * 3600).ago(now), "5 h ago");
        assert_eq!(back(12 * 86_400).ago(now), "12 d ago");
    }

    #[test]
    fn seconds_are_accepted() {
        let t: Timestamp = serde_json::from_str("1699450980").unwrap();
        assert_eq!(t.millis(), 1_699_450_980_000);
    }

    /// A time from outside may be anything: an age is never an overflow.
    #[test]
    fn any_time_has_an_age() {
        let now = Timestamp::from_millis(1_700_000_000_000);
        let far_past = Timestamp::from_millis(i64::MIN);
        assert_eq!(far_past.secs_before(now), i64::MAX / 1000);
        assert_eq!(Timestamp::from_millis(i64::MAX).secs_before(now), 0);
        assert!(far_past.ago(now).ends_with(" d ago"));
    }
}
