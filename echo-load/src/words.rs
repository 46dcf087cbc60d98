//! Numbers and counts in words, as the summaries print them; and a node's text made safe
//! to print.

use std::borrow::Cow;

/// `x` as a person would write it: `1e-300`, not three hundred zeros.
pub fn number(x: f64) -> String {
    if x != 0.0 && !(1e-3..1e9).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// `text` with every control character (C0, DEL, C1: what a terminal acts on, such as
/// ESC's colour and screen-clearing sequences, `\r`, NUL) escaped as Rust writes it
/// (`\u{1b}`, `\r`, `\t`, `\0`), and with them `\n` unless `lines`: how anything a
/// node wrote reaches the terminal. Text with none is returned as it is.
pub fn printable(text: &str, lines: bool) -> Cow<'_, str> {
    let escaped = |c: char| c.is_control() && !(lines && c == '\n');
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `n` bytes as a person reads them: `95 bytes`, `12.3 KiB`, `64.0 MiB`.
pub fn bytes(n: u64) -> String {
    match n {
        0..1024 => plural(n, "byte", "bytes"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MiB", n as f64 / 1_048_576.0),
        _ => format!("{:.1} GiB", n as f64 / 1_073_741_824.0),
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

/// The width of a terminal line that paragraphs in words are wrapped to.
const WIDTH: usize = 88;

/// `text` wrapped to [`WIDTH`], its first line begun with `first` and the others with
/// `rest`.
pub fn fill(text: &str, first: &str, rest: &str) -> String {
    textwrap::fill(
        text,
        textwrap::Options::new(WIDTH)
            .initial_indent(first)
            .subsequent_indent(rest),
    )
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
    fn a_nodes_control_characters_are_escaped_and_nothing_else() {
        assert_eq!(
            printable("\u{1b}[2J\u{1b}[31mred\r\0 \u{9b}é\tx", false),
            "\\u{1b}[2J\\u{1b}[31mred\\r\\0 \\u{9b}é\\tx"
        );
        assert_eq!(printable("a\nb", false), "a\\nb");
        assert_eq!(printable("a\nb\u{7f}", true), "a\nb\\u{7f}");
        assert!(matches!(printable("plain é", false), Cow::Borrowed(_)));
    }

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
