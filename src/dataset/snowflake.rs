//! X's snowflake ids: since late 2010 every user and post id carries its creation time in its
//! top bits, `ms = (id >> 22) + SNOWFLAKE_EPOCH_MS`. One rule for the age of an account, the
//! time of an author's last post (`most_recent_tweet_id`, no post bought) and the checks of ids.

use chrono::{DateTime, TimeZone, Utc};

/// Twitter's snowflake epoch (2010-11-04T01:42:54.657Z) in Unix milliseconds.
pub const SNOWFLAKE_EPOCH_MS: i64 = 1_288_834_974_657;

/// Smallest id read as a snowflake (2^22 << 22): below it ids are the old sequential numbers.
pub const SNOWFLAKE_MIN: u64 = 1 << 44;

/// The creation time encoded in a snowflake id, or None for an old sequential id.
pub fn snowflake_time(id: u64) -> Option<DateTime<Utc>> {
    if id < SNOWFLAKE_MIN {
        return None;
    }
    let ms = (id >> 22) as i64 + SNOWFLAKE_EPOCH_MS;
    Utc.timestamp_millis_opt(ms).single()
}

/// [`snowflake_time`] of an id written as the API writes ids (a decimal string); None for text
/// that is not one.
pub fn snowflake_time_of(id: &str) -> Option<DateTime<Utc>> {
    id.trim().parse::<u64>().ok().and_then(snowflake_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_id_decodes_to_the_time_it_was_posted() {
        // (1460323737035677698 >> 22) + epoch = 1637003285069 ms.
        let t = snowflake_time_of("1460323737035677698").unwrap();
        assert_eq!(crate::dataset::format_time(t), "2021-11-15T19:08:05.069Z");
    }

    #[test]
    fn old_sequential_ids_and_text_that_is_no_id_have_no_time() {
        assert_eq!(snowflake_time(2_244_994_945), None);
        assert_eq!(snowflake_time_of("not-an-id"), None);
        assert_eq!(snowflake_time_of(""), None);
    }
}
