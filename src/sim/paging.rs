//! Paged answers of the discovery endpoints: `max_results` within the endpoint's range, opaque
//! `pagination_token`s that name an offset and carry a check, so a made-up or edited token is
//! refused with 400 like the real API refuses it. Not here: what is paged (see `discover`).

use super::draw::hash_key;

/// A page's place in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Page {
    pub offset: usize,
    pub size: usize,
}

/// A refused paging parameter: which one, the value given and the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(super) struct BadPaging {
    pub parameter: &'static str,
    pub value: String,
    pub message: String,
}

const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// The check bits of a token: ties it to the source and the seed.
fn check(seed: u64, source: &str, offset: u64) -> u64 {
    hash_key(seed, "page", format!("{source}/{offset}").as_bytes()) & 0xffff_ffff
}

/// The token of the page starting at `offset` in `source` (a list or a following).
pub(super) fn token(seed: u64, source: &str, offset: usize) -> String {
    let offset = offset as u64;
    let mut v = (offset << 32) | check(seed, source, offset);
    let mut out = Vec::new();
    while v > 0 {
        out.push(DIGITS[(v % 36) as usize]);
        v /= 36;
    }
    out.reverse();
    // Real tokens are long and opaque; pad to a fixed width.
    let mut t = "0".repeat(16usize.saturating_sub(out.len()));
    t.push_str(&String::from_utf8_lossy(&out));
    t
}

fn offset_of(seed: u64, source: &str, token: &str) -> Option<usize> {
    if token.is_empty() || token.len() > 16 {
        return None;
    }
    let mut v: u64 = 0;
    for b in token.bytes() {
        let digit = DIGITS.iter().position(|d| *d == b)? as u64;
        v = v.checked_mul(36)?.checked_add(digit)?;
    }
    let offset = v >> 32;
    (v & 0xffff_ffff == check(seed, source, offset)).then_some(offset as usize)
}

/// Reads `max_results` (1..=`max`, `default` when absent) and `pagination_token`.
pub(super) fn page(
    seed: u64,
    source: &str,
    max_results: Option<&str>,
    token: Option<&str>,
    default: usize,
    max: usize,
) -> Result<Page, BadPaging> {
    let size = match max_results {
        None => default,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                return Err(BadPaging {
                    parameter: "max_results",
                    value: v.to_string(),
                    message: format!(
                        "The `max_results` query parameter value [{v}] is not between 1 and {max}"
                    ),
                });
            }
        },
    };
    let offset = match token {
        None => 0,
        Some(t) => offset_of(seed, source, t).ok_or_else(|| BadPaging {
            parameter: "pagination_token",
            value: t.to_string(),
            message: format!("The `pagination_token` query parameter value [{t}] is not valid"),
        })?,
    };
    Ok(Page { offset, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_to_its_offset_only_for_its_own_source() {
        let t = token(7, "list/1", 300);
        assert_eq!(t.len(), 16);
        assert_eq!(offset_of(7, "list/1", &t), Some(300));
        assert_eq!(offset_of(7, "list/2", &t), None);
        assert_eq!(offset_of(8, "list/1", &t), None);
        assert_eq!(offset_of(7, "list/1", "not-a-token"), None);
    }

    #[test]
    fn max_results_outside_its_range_is_refused() {
        assert_eq!(page(1, "s", None, None, 100, 1000).unwrap().size, 100);
        assert_eq!(
            page(1, "s", Some("1000"), None, 100, 1000).unwrap().size,
            1000
        );
        for bad in ["0", "1001", "ten"] {
            let e = page(1, "s", Some(bad), None, 100, 1000).unwrap_err();
            assert_eq!((e.parameter, e.value.as_str()), ("max_results", bad));
        }
        let e = page(1, "s", None, Some("zz"), 100, 1000).unwrap_err();
        assert_eq!(e.parameter, "pagination_token");
    }
}
