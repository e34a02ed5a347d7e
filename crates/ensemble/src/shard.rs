//! `--shard K/M`: which runs of a plan this process does, so that M machines (a job
//! array) can split one ensemble or sweep without talking to each other.

use std::fmt;
use std::str::FromStr;

use crate::EnsembleError;

/// The K-th (1-based) of M slices of a plan. Run `i` belongs to slice `i mod M + 1`:
/// dealt round-robin rather than in blocks, so that the costly corner of a sweep grid
/// is spread over all slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, 1..=count.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl Shard {
    /// The whole plan.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Whether run `run_index` (0-based) is in this slice.
    pub fn contains(&self, run_index: usize) -> bool {
        run_index % self.count + 1 == self.index
    }

    /// Whether this slice is the whole plan.
    pub fn is_all(&self) -> bool {
        self.count == 1
    }
}

impl FromStr for Shard {
    type Err = EnsembleError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let fail = |message: &str| EnsembleError::Shard {
            spec: spec.to_string(),
            message: message.to_string(),
        };
        let (k, m) = spec
            .split_once('/')
            .ok_or_else(|| fail("expected K/M, e.g. 2/8 for the second of eight slices"))?;
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| fail("K is not a whole number"))?;
        let m: usize = m
            .trim()
            .parse()
            .map_err(|_| fail("M is not a whole number"))?;
        if m == 0 {
            return Err(fail("M must be at least 1"));
        }
        if k == 0 || k > m {
            return Err(fail(&format!(
                "K must be between 1 and {m} (slices are numbered from 1)"
            )));
        }
        Ok(Shard { index: k, count: m })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_partition_the_runs() {
        let shards: Vec<Shard> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        for i in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(i)).count(), 1);
        }
        assert!(shards[0].contains(0) && shards[1].contains(1) && shards[0].contains(3));
    }

    #[test]
    fn out_of_range_slices_are_refused() {
        for bad in ["0/3", "4/3", "1/0", "3", "a/3", "1/b", "-1/3"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.is_bad_input(), "{bad}");
            assert!(e.to_string().contains(bad), "{e}");
        }
        assert_eq!("3/3".parse::<Shard>().unwrap().to_string(), "3/3");
    }
}
