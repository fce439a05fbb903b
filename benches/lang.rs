//! How lingua (what `checks::language` uses) and whatlang identify the language of short X bios
//! (tests/fixtures/lang-bios.tsv: 13 languages x 15 bios, and "cannot tell" cases): accuracy per
//! language and the `und` rate on the cannot-tell set, printed once, then the time per bio of
//! each. Both read the same text: the bio with handles, links, hashtags, emoji and digits taken
//! out (`letters_of`), name added when the bio is short, `und` below `MIN_EVIDENCE` letters.
//! whatlang answers only when it calls itself reliable, else `und`, with `WHATLANG_ANY=1` always.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use influx::pipeline::checks::language::{
    MIN_EVIDENCE, UNDETERMINED, evidence, identify, letters_of,
};
use whatlang::{Detector, Lang};

const CORPUS: &str = include_str!("../tests/fixtures/lang-bios.tsv");

struct Bio {
    tag: &'static str,
    name: Option<&'static str>,
    bio: Option<&'static str>,
}

fn corpus() -> Vec<Bio> {
    let some = |s: &'static str| (!s.is_empty()).then_some(s);
    CORPUS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let mut next = || f.next().unwrap_or("");
            Bio {
                tag: next(),
                name: some(next()),
                bio: some(next()),
            }
        })
        .collect()
}

const WHATLANG: [(Lang, &str); 13] = [
    (Lang::Eng, "en"),
    (Lang::Spa, "es"),
    (Lang::Fra, "fr"),
    (Lang::Deu, "de"),
    (Lang::Por, "pt"),
    (Lang::Ita, "it"),
    (Lang::Jpn, "ja"),
    (Lang::Rus, "ru"),
    (Lang::Nld, "nl"),
    (Lang::Kor, "ko"),
    (Lang::Cmn, "zh"),
    (Lang::Ara, "ar"),
    (Lang::Tur, "tr"),
];

/// whatlang over the same text `identify` reads, among the same 13 languages.
fn whatlang_tag(
    detector: &Detector,
    any: bool,
    name: Option<&str>,
    bio: Option<&str>,
) -> &'static str {
    let mut text = letters_of(bio.unwrap_or(""));
    if evidence(&text) < MIN_EVIDENCE {
        text = letters_of(&format!("{} {}", name.unwrap_or(""), bio.unwrap_or("")));
    }
    if evidence(&text) < MIN_EVIDENCE {
        return UNDETERMINED;
    }
    match detector.detect(&text) {
        Some(info) if any || info.is_reliable() => WHATLANG
            .iter()
            .find(|(l, _)| *l == info.lang())
            .map_or(UNDETERMINED, |(_, t)| t),
        _ => UNDETERMINED,
    }
}

fn report(label: &str, bios: &[Bio], guess: impl Fn(&Bio) -> &'static str) {
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut wrong = Vec::new();
    for b in bios {
        let tag = guess(b);
        let e = per.entry(b.tag).or_default();
        e.1 += 1;
        if tag == b.tag {
            e.0 += 1;
        } else {
            wrong.push(format!(
                "{} taken for {tag}: {:?}",
                b.tag,
                b.bio.unwrap_or("")
            ));
        }
    }
    let (right, all) = per
        .iter()
        .filter(|(t, _)| **t != UNDETERMINED)
        .fold((0, 0), |(r, a), (_, (x, y))| (r + x, a + y));
    println!(
        "{label}: {right}/{all} labelled bios right ({:.1}%)",
        100.0 * right as f64 / all as f64
    );
    let cells: Vec<String> = per
        .iter()
        .map(|(t, (r, a))| format!("{t} {r}/{a}"))
        .collect();
    println!("  {}", cells.join("  "));
    for w in wrong {
        println!("  {w}");
    }
}

fn lang(c: &mut Criterion) {
    let bios = corpus();
    let detector = Detector::with_allowlist(WHATLANG.iter().map(|(l, _)| *l).collect());
    let any = std::env::var_os("WHATLANG_ANY").is_some();
    report("lingua (checks::language::identify)", &bios, |b| {
        identify(b.name, b.bio).tag
    });
    report(
        if any {
            "whatlang, any answer"
        } else {
            "whatlang, reliable answers only"
        },
        &bios,
        |b| whatlang_tag(&detector, any, b.name, b.bio),
    );

    let mut group = c.benchmark_group("lang");
    group.throughput(criterion::Throughput::Elements(bios.len() as u64));
    group.bench_function("lingua identify, every labelled bio", |bench| {
        bench.iter(|| {
            for b in &bios {
                black_box(identify(b.name, b.bio));
            }
        })
    });
    group.bench_function("whatlang, every labelled bio", |bench| {
        bench.iter(|| {
            for b in &bios {
                black_box(whatlang_tag(&detector, any, b.name, b.bio));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, lang);
criterion_main!(benches);
