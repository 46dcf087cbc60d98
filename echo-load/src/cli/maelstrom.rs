//! The values of Maelstrom's options, checked as Maelstrom's command line checks them
//! (core.clj, `opt-spec`): a value Maelstrom refuses is a usage error here too, never a
//! run.

use echo_load::Availability;

/// `--availability`: `total`, or a number from 0 to 1 (an EDN number: an integer, a
/// decimal or a ratio such as `1/2`).
pub(super) fn availability(name: &str, text: &str) -> Result<Availability, String> {
    if text == "total" {
        return Ok(Availability::Total);
    }
    if let Some(a) = number(text).filter(|a| (0.0..=1.0).contains(a)) {
        return Ok(Availability::AtLeast(a));
    }
    Err(format!(
        "{name}: '{text}': must be either 'total' or a number between 0 and 1, as Maelstrom \
         takes it"
    ))
}

/// `--key-count`, `--max-txn-length`, `--max-writes-per-key`: an integer above 0.
pub(super) fn positive_integer(name: &str, text: &str) -> Result<(), String> {
    match text.parse::<i64>() {
        Ok(n) if n > 0 => Ok(()),
        _ => Err(format!(
            "{name}: '{text}': must be a positive integer, as Maelstrom takes it"
        )),
    }
}

/// `--nemesis-interval`: a number above 0, in seconds.
pub(super) fn positive_number(name: &str, text: &str) -> Result<(), String> {
    match number(text) {
        Some(x) if x > 0.0 => Ok(()),
        _ => Err(format!(
            "{name}: '{text}': must be a positive number, as Maelstrom takes it"
        )),
    }
}

/// Maelstrom's topologies (workload/broadcast.clj, `topologies`).
const TOPOLOGIES: [&str; 7] = ["grid", "line", "total", "tree", "tree2", "tree3", "tree4"];

/// `--topology`: one of Maelstrom's.
pub(super) fn topology(name: &str, text: &str) -> Result<(), String> {
    if TOPOLOGIES.contains(&text) {
        return Ok(());
    }
    Err(format!(
        "{name}: '{text}': must be one of Maelstrom's topologies: {}",
        TOPOLOGIES.join(", ")
    ))
}

/// `text` as an EDN number (`3`, `-0.5`, `2e3`, `1/2`), if it is a finite one.
fn number(text: &str) -> Option<f64> {
    let edn = |t: &str| {
        let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
        digits.starts_with(|c: char| c.is_ascii_digit())
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b))
    };
    let value = match text.split_once('/') {
        Some((n, d)) if edn(n) && edn(d) => {
            let (n, d) = (n.parse::<i64>().ok()?, d.parse::<i64>().ok()?);
            (d != 0).then(|| n as f64 / d as f64)?
        }
        Some(_) => return None,
        None if edn(text) => text.parse::<f64>().ok()?,
        None => return None,
    };
    value.is_finite().then_some(value)
}
