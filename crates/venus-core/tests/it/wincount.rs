//! WinCount against Lotus's golden outputs and its statistical test.

use num_bigint::BigInt;
use venus_core::crypto::{expneg, lambda, poisson_icdf, WinCounter, MAX_WIN_COUNT};

use crate::{vector_text, vectors_dir};

fn big(s: &str) -> BigInt {
    s.trim().parse().expect("decimal")
}

#[test]
fn expneg_matches_lotus_golden() {
    let text = vector_text("lotus-wincount-goldens/TestExpFunction.golden");
    let mut n = 0;
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let (x, y) = line.split_once(',').expect("x,y");
        assert_eq!(expneg(&big(x)), big(y), "expneg({x})");
        n += 1;
    }
    assert_eq!(n, 256);
}

/// (file stem, contents) of each golden file in `lotus-wincount-goldens/<test>`.
fn goldens(test: &str) -> Vec<(String, String)> {
    let dir = vectors_dir().join("lotus-wincount-goldens").join(test);
    std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("name")
                .to_string();
            (name, std::fs::read_to_string(&path).expect("read"))
        })
        .collect()
}

#[test]
fn lambda_matches_lotus_golden() {
    let mut n = 0;
    for (name, text) in goldens("TestLambdaFunction") {
        let (p, t) = name.split_once('-').expect("power-total");
        let expected = big(&text);
        assert_eq!(lambda(&big(p), &big(t)), expected, "{name}");
        n += 1;
    }
    assert_eq!(n, 3);
}

#[test]
fn poisson_icdf_matches_lotus_golden() {
    let mut n = 0;
    for (name, text) in goldens("TestPoissonFunction") {
        let parts: Vec<&str> = name.split('-').collect();
        let (base, shift): (u64, usize) = (
            parts[1].parse().expect("base"),
            parts[2].parse().expect("shift"),
        );
        let lam = BigInt::from(base) << (256 - shift);
        let expected: Vec<BigInt> = text
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(big)
            .collect();
        assert_eq!(expected.len(), 16);
        assert_eq!(poisson_icdf(&lam, 15), expected, "{name}");
        n += 1;
    }
    assert_eq!(n, 7);
}

#[test]
fn a_fifth_of_the_power_wins_one_block_per_epoch_on_average() {
    // Lotus's TestWinCounts: power 20 of 100, VRF = 5-byte little-endian counter.
    let counter = WinCounter::new(&BigInt::from(20), &BigInt::from(100));
    let count: u64 = 1_000_000;
    let mut total = 0i64;
    for i in 0..count {
        let w = i + count;
        total += counter.win_count(&w.to_le_bytes()[..5]);
    }
    let avg = total as f64 / count as f64;
    assert!((0.99..=1.01).contains(&avg), "average wins {avg}");
}

#[test]
fn win_count_is_capped_and_zero_power_never_wins() {
    let all = WinCounter::new(&BigInt::from(1_000_000), &BigInt::from(1));
    assert_eq!(all.win_count(b"any vrf"), MAX_WIN_COUNT);
    let none = WinCounter::new(&BigInt::from(0), &BigInt::from(100));
    assert_eq!(none.win_count(b"any vrf"), 0);
    let no_network = WinCounter::new(&BigInt::from(5), &BigInt::from(0));
    assert_eq!(no_network.win_count(b"any vrf"), 0);
}
