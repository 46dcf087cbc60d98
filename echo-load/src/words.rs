//! Numbers and counts in words, as the summaries print them.

/// `n` bytes as a person reads them: `95 bytes`, `12.3 KiB`, `64.0 MiB`.
pub fn bytes(n: u64) -> String {
    match n {
        0..1024 => plural(n, "byte", "bytes"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

/// `1 request`, `2 requests`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `3200` as `3,200`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A number for an axis label: 3 significant digits at most, with k or M for thousands
/// and millions (`0.05`, `0.3`, `12`, `950k`, `1.2M`).
pub fn short(x: f64) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s
        }
    };
    match x.abs() {
        a if a >= 1e6 => format!("{}M", trim(format!("{:.2}", x / 1e6))),
        a if a >= 1e4 => format!("{}k", trim(format!("{:.1}", x / 1e3))),
        a if a >= 100.0 || a == 0.0 => format!("{x:.0}"),
        a => {
            let decimals = (2.0 - a.log10().floor()).max(0.0) as usize;
            trim(format!("{x:.decimals$}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (3200, "3,200"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(super::thousands(n), text);
        }
    }

    #[test]
    fn axis_labels_are_short() {
        for (x, label) in [
            (0.30000000000000004, "0.3"),
            (0.05, "0.05"),
            (0.123456, "0.123"),
            (1.0, "1"),
            (12.5, "12.5"),
            (250.0, "250"),
            (0.0, "0"),
            (950_000.0, "950k"),
            (1_000_000.0, "1M"),
            (1_250_000.0, "1.25M"),
        ] {
            assert_eq!(short(x), label, "{x}");
        }
    }
}
