//! The comparison's measures: trends, spreads, significant digits, labels.

use super::output::{percentile_label, pm, sig};
use super::*;

#[test]
fn a_steady_move_far_enough_is_a_trend_and_noise_is_not() {
    let fell = Drift::of(&[1581.0, 900.0, 400.0, 150.0, 78.0]).expect("a trend");
    assert!(!fell.rising && fell.first == 1581.0 && fell.last == 78.0);
    assert!(Drift::of(&[1.0, 1.3, 1.7]).is_some_and(|d| d.rising));
    // Not one way all along, not far enough, or too few rounds.
    assert_eq!(Drift::of(&[100.0, 90.0, 95.0, 50.0]), None);
    assert_eq!(Drift::of(&[100.0, 99.0, 98.0, 97.0]), None);
    assert_eq!(Drift::of(&[100.0, 10.0]), None);
}

#[test]
fn the_spread_is_the_median_absolute_deviation() {
    let s = Spread::of([1.0, 2.0, 3.0, 4.0, 100.0]).expect("values");
    assert_eq!(s.median, 3.0);
    assert_eq!(s.spread, 1.0); // distances 2 1 0 1 97
    assert_eq!((s.min, s.max), (1.0, 100.0));
    let even = Spread::of([1.0, 3.0]).expect("values");
    assert_eq!((even.median, even.spread), (2.0, 1.0));
    assert_eq!(Spread::of([]), None);
    assert_eq!(Spread::of([f64::NAN]), None);
}

#[test]
fn measures_read_with_three_significant_digits() {
    assert_eq!(sig(0.04512), "0.0451");
    assert_eq!(sig(812_345.0), "812345");
    assert_eq!(sig(1.0), "1.00");
    let s = Spread {
        median: 0.04512,
        spread: 0.00321,
        min: 0.0,
        max: 1.0,
    };
    assert_eq!(pm(&s), "0.0451 ± 0.0032");
    let tight = Spread {
        median: 1.1894,
        spread: 0.0011,
        ..s
    };
    assert_eq!(pm(&tight), "1.189 ± 0.001");
    let big = Spread {
        median: 812_345.4,
        spread: 12_000.6,
        ..s
    };
    assert_eq!(pm(&big), "812,345 ± 12,001");
    assert_eq!(percentile_label(0.0), "0%");
    assert_eq!(percentile_label(2.0), "99%");
    assert_eq!(percentile_label(3.0), "99.9%");
}

#[test]
fn a_label_is_the_programs_name_and_its_arguments() {
    let config = Config {
        bin: "/usr/local/bin/echo-node".into(),
        node_args: vec!["--flush".into(), "batch".into()],
        node_count: 1,
        first_node: 0,
        ..Config::default()
    };
    assert_eq!(label(&config), "echo-node --flush batch");
}
