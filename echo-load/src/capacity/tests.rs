//! The search's rates: doubling, halving, narrowing, and its bound.

use super::*;

/// The rates a search tries against a node that passes every rate up to `limit`.
fn rates(start: f64, limit: f64) -> Vec<f64> {
    let mut search = Search::default();
    let mut tried = Vec::new();
    let mut rate = Some(start);
    while let Some(r) = rate {
        tried.push(r);
        search.record(r, r <= limit);
        rate = search.next();
    }
    tried
}

#[test]
fn the_search_doubles_then_narrows_to_within_the_precision() {
    let tried = rates(1000.0, 5000.0);
    assert_eq!(&tried[..4], &[1000.0, 2000.0, 4000.0, 8000.0]);
    let good = tried
        .iter()
        .copied()
        .filter(|r| *r <= 5000.0)
        .fold(0.0, f64::max);
    let bad = tried
        .iter()
        .copied()
        .filter(|r| *r > 5000.0)
        .fold(f64::MAX, f64::min);
    assert!(bad / good <= PRECISION, "{tried:?}");
    assert!(tried.len() <= 4 + NARROW_STEPS, "{tried:?}");
}

#[test]
fn a_first_step_that_fails_halves_the_rate() {
    let tried = rates(1000.0, 300.0);
    assert_eq!(&tried[..3], &[1000.0, 500.0, 250.0]);
    assert!(tried.iter().all(|r| *r >= 250.0), "{tried:?}");
}

#[test]
fn the_search_is_bounded_however_the_node_answers() {
    assert!(rates(1000.0, f64::INFINITY).len() <= EXPLORE_STEPS);
    assert!(rates(1000.0, 0.0).len() <= EXPLORE_STEPS);
    assert!(rates(0.001, 0.0).len() == 1);
    assert!(rates(*crate::config::RATE.end(), f64::INFINITY).len() == 1);
}
