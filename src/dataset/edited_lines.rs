//! Test input for the line readers' contract (they accept exactly what a `serde_json::Value`
//! parse accepts, and read what it reads): record lines, and the same lines edited at random
//! places, most of them broken.

use proptest::prelude::*;

/// One random edit: where, what kind, which character (see [`edited`]).
pub(crate) type Edit = (prop::sample::Index, u8, char);

/// One to three edits with the characters that matter to JSON.
pub(crate) fn edits() -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec(
        (
            any::<prop::sample::Index>(),
            0u8..4,
            prop::sample::select(vec![
                '{', '}', '[', ']', '"', '\\', ',', ':', ' ', '\n', '0', '1', '-', '.', 'e', 'u',
                'd', '8', 'n', 't', '/', '\t', 'é',
            ]),
        ),
        1..4,
    )
}

/// `text` with each edit applied at its place: kind 0 inserts `c`, 1 removes a character,
/// 2 replaces one with `c`, any other cuts the text there.
pub(crate) fn edited(text: &str, edits: Vec<Edit>) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, kind, c) in edits {
        let i = at.index(chars.len() + 1);
        match kind {
            0 => chars.insert(i, c),
            1 if i < chars.len() => {
                chars.remove(i);
            }
            2 if i < chars.len() => chars[i] = c,
            _ => chars.truncate(i),
        }
    }
    chars.into_iter().collect()
}

/// Generated records, and lines in the other layouts and spellings records come in: escaped
/// keys and strings, repeated keys and blocks, activity blocks under `meta` and `ext`, sources
/// that are not objects, tags that are not strings, numbers of every kind.
pub(crate) fn seeds() -> Vec<String> {
    let mut lines: Vec<String> = (0..4)
        .map(|n| crate::generate::record(3, n).to_line())
        .collect();
    lines.push(
        r#"{"id":"1","handle":"a b","meta":{"score":31.4,"sources":[{"method":"x","fetched_at":"2025-11-14T06:42:01Z"}],"n":-5, "k\u0065y" : 2 },"tags":["\u00e9","\ud83d\ude80","q\"\\"],"e":{},"z":[ 1 , 2.25 ,null,true,false, 1e5]}"#.into(),
    );
    lines.push(
        r#"{"id":"2","username":"b\u0063","name":"B","topic_tags":["ai",3,"c\"d",null],"ext":{"x":1,"activity_metrics":{"followers_count":"12","tweet_count":5.0,"followers_count":7},"activity_metrics":{"like_count":-3,"created_at":"2020-01-01T00:00:00Z"}},"meta":{"activity_metrics":{"total_like_count":4},"score":"12.5","score_state":"scored","sources":[1,{"method":"x-api-v2","fetched_at":"2026-01-02T03:04:05.000Z","evidence":"e","method":"manual"},"s"],"as_of":"2026-01-01T00:00:00Z"},"meta":{"last_refresh_at":"2025-01-01T00:00:00Z","provenance_hash":"ab"},"public_metrics":{"followers_count":1},"public_metrics":[1,2]}"#.into(),
    );
    lines.push(
        r#"{"h\u0061ndle":"c","verified_type":"blue","verified":"none","followers_count":18446744073709551616,"created_at":"2019-01-01T00:00:00.000Z","public_metrics":{"followers_count":10,"following_count":2,"post_count":3,"listed_count":0,"like_count":1,"media_count":0},"meta":[1]}"#.into(),
    );
    lines
}
