//! Counts in words: "1 handle", "2 handles". Every user-facing count goes through here, so no
//! message says "1 handles" or hedges with "handle(s)".

/// `n` followed by the noun's singular or plural form, as `n` asks.
pub(crate) fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_takes_the_singular_and_every_other_number_the_plural() {
        assert_eq!(count(1u64, "handle", "handles"), "1 handle");
        assert_eq!(count(0u64, "handle", "handles"), "0 handles");
        assert_eq!(count(2u32, "batch", "batches"), "2 batches");
    }
}
