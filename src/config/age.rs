//! A span of time as an operator writes it in a flag or the configuration: `7d`, `12h`, `2w`,
//! `90m`, `30s`.

use std::str::FromStr;

use chrono::TimeDelta;
use serde::Serialize;

/// A whole number of seconds, shown in the unit it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age {
    seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a span such as 7d, 12h, 2w, 90m or 30s, got {0:?}")]
pub struct BadAge(pub String);

impl Age {
    pub(crate) fn days(n: i64) -> Age {
        Age {
            seconds: n * 86_400,
        }
    }

    #[cfg(test)]
    pub(crate) fn seconds(self) -> i64 {
        self.seconds
    }

    pub(crate) fn delta(self) -> TimeDelta {
        TimeDelta::seconds(self.seconds)
    }
}

const UNITS: [(char, i64); 5] = [
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

impl FromStr for Age {
    type Err = BadAge;

    fn from_str(s: &str) -> Result<Age, BadAge> {
        let t = s.trim();
        let bad = || BadAge(s.to_string());
        let unit = t.chars().last().ok_or_else(bad)?;
        let (_, per) = UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .copied()
            .ok_or_else(bad)?;
        let n: i64 = t[..t.len() - 1].parse().map_err(|_| bad())?;
        if n < 0 {
            return Err(bad());
        }
        n.checked_mul(per)
            .map(|seconds| Age { seconds })
            .ok_or_else(bad)
    }
}

impl std::fmt::Display for Age {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (unit, per) = UNITS
            .iter()
            .find(|(_, per)| self.seconds % per == 0 && self.seconds >= *per)
            .copied()
            .unwrap_or(('s', 1));
        write!(f, "{}{unit}", self.seconds / per)
    }
}

impl Serialize for Age {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_every_unit_and_show_in_the_largest_whole_one() {
        assert_eq!("7d".parse::<Age>().unwrap(), Age::days(7));
        assert_eq!("2w".parse::<Age>().unwrap().to_string(), "2w");
        assert_eq!("14d".parse::<Age>().unwrap().to_string(), "2w");
        assert_eq!("36h".parse::<Age>().unwrap().to_string(), "36h");
        assert_eq!("90s".parse::<Age>().unwrap().seconds(), 90);
        for bad in ["", "7", "d", "-1d", "7y", "1.5d"] {
            assert!(bad.parse::<Age>().is_err(), "{bad:?} is not a span");
        }
    }
}
