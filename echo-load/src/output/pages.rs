//! The web view's pages: a run's, a comparison's and a capacity search's `index.html`
//! (the verdict, the summary, the counts, every picture, a link to every file), and the
//! store's front page that `echo-load serve` shows. Static HTML with its style inline:
//! no script, font or anything else from the network.

use std::fmt::Write as _;
use std::path::Path;

/// Text escaped for HTML and SVG: `&`, `<`, `>`, `"` and `'`; and a character no XML
/// document may hold, even escaped (a control character but TAB, LF and CR; U+FFFE and
/// U+FFFF), written as its code, `\u0001`, so that an SVG stays well-formed and what a
/// node sent stays visible.
pub(crate) fn escape(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            '\0'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// A verdict as the pages colour it, as Maelstrom's web view does: blue for valid,
/// orange for unknown (no verdict: Maelstrom would stop the test), pink for invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shade {
    /// `:valid? true`.
    Valid,
    /// `:valid? :unknown`.
    Unknown,
    /// `:valid? false`.
    Invalid,
}

impl Shade {
    /// Maelstrom's colour for it.
    pub fn colour(self) -> &'static str {
        match self {
            Shade::Valid => "#6DB6FE",
            Shade::Unknown => "#FFAA26",
            Shade::Invalid => "#FEB5DA",
        }
    }

    /// Its word on a page.
    pub fn word(self) -> &'static str {
        match self {
            Shade::Valid => "valid",
            Shade::Unknown => "unknown",
            Shade::Invalid => "invalid",
        }
    }
}

/// The style every page shares.
const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;max-width:1000px}h1{font-size:1.4em}\
    .verdict{display:inline-block;padding:.3em .8em;border-radius:4px;font-weight:bold}\
    pre{white-space:pre-wrap;background:#f6f6f6;padding:1em;overflow-x:auto;font-size:13px}\
    table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .6em;\
    text-align:right}th{background:#f0f0f0}td:first-child{text-align:left}\
    img{max-width:100%;border:1px solid #eee;margin:.5em 0;display:block}\
    ul.runs li{padding:.3em .6em;margin:.2em 0;border-radius:4px;list-style:none}\
    ul.runs{padding:0}a{color:#0645ad}";

/// What a page shows.
pub struct Page {
    /// Its heading.
    pub title: String,
    /// The verdict.
    pub shade: Shade,
    /// What to fix first, a line each (a run that is not valid), shown before all else.
    pub diagnosis: Vec<String>,
    /// The summary echo-load printed, as it printed it.
    pub summary: String,
    /// Tables: a caption, the header row, the rows.
    pub tables: Vec<(String, Vec<String>, Vec<Vec<String>>)>,
    /// The pictures, by file name in the folder, in order: the SVGs shown as images, and
    /// the HTML ones (the timeline) linked.
    pub pictures: Vec<&'static str>,
}

/// The page's `index.html`, with a link to every file and folder now in `dir` (a
/// folder's to its own `index.html` where it has one).
pub fn index(page: &Page, dir: &Path) -> String {
    let mut html = String::new();
    let title = escape(&page.title);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <h1>{title}</h1>\
         <p class=\"verdict\" id=\"verdict\" style=\"background:{}\">{}</p>",
        page.shade.colour(),
        page.shade.word(),
    );
    if !page.diagnosis.is_empty() {
        html.push_str("<div id=\"diagnosis\"><h2>What to fix</h2><ul>");
        for line in &page.diagnosis {
            let _ = write!(html, "<li>{}</li>", escape(line));
        }
        html.push_str("</ul></div>");
    }
    let _ = write!(html, "<pre id=\"summary\">{}</pre>", escape(&page.summary));
    for (caption, head, rows) in &page.tables {
        let _ = write!(html, "<h2>{}</h2><table><tr>", escape(caption));
        for h in head {
            let _ = write!(html, "<th>{}</th>", escape(h));
        }
        html.push_str("</tr>");
        for row in rows {
            html.push_str("<tr>");
            for cell in row {
                let _ = write!(html, "<td>{}</td>", escape(cell));
            }
            html.push_str("</tr>");
        }
        html.push_str("</table>");
    }
    let present = |name: &str| dir.join(name).is_file();
    let pictures: Vec<&str> = page
        .pictures
        .iter()
        .copied()
        .filter(|p| present(p))
        .collect();
    if !pictures.is_empty() {
        html.push_str("<h2>Pictures</h2>");
    }
    for picture in pictures {
        let name = escape(picture);
        if picture.ends_with(".svg") {
            let _ = write!(
                html,
                "<h3>{name}</h3><a href=\"{name}\"><img src=\"{name}\" alt=\"{name}\"></a>"
            );
        } else {
            let _ = write!(html, "<p><a href=\"{name}\">{name}</a></p>");
        }
    }
    html.push_str("<h2>Files</h2><ul>");
    let mut entries: Vec<(String, bool)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let folder = e.file_type().ok()?.is_dir();
            (!name.starts_with('.') && !name.ends_with(".tmp")).then_some((name, folder))
        })
        .collect();
    if !entries.iter().any(|(n, _)| n == "index.html") {
        entries.push(("index.html".into(), false));
    }
    entries.sort();
    for (name, folder) in entries {
        let link = if folder && dir.join(&name).join("index.html").is_file() {
            format!("{name}/index.html")
        } else if folder {
            format!("{name}/")
        } else {
            name.clone()
        };
        let _ = write!(
            html,
            "<li><a href=\"{}\">{}{}</a></li>",
            escape(&link),
            escape(&name),
            if folder { "/" } else { "" }
        );
    }
    html.push_str("</ul></body></html>\n");
    html
}

/// A run kept in the store, for the front page.
pub struct Kept {
    /// Its folder, relative to the store (`echo/20261203T163400.123Z`).
    pub path: String,
    /// Its verdict.
    pub shade: Shade,
    /// What it was (a run, a comparison, a capacity search) and its settings.
    pub what: String,
}

/// The store's front page: every run kept, newest first, coloured by verdict.
pub fn front(runs: &[Kept]) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">\
         <title>echo-load store</title><style>{STYLE}</style></head><body>\
         <h1>echo-load store</h1><p>{} kept, newest first: \
         <span class=\"verdict\" style=\"background:{}\">valid</span> \
         <span class=\"verdict\" style=\"background:{}\">unknown</span> \
         <span class=\"verdict\" style=\"background:{}\">invalid</span></p>\
         <ul class=\"runs\" id=\"runs\">",
        crate::words::plural(runs.len() as u64, "run", "runs"),
        Shade::Valid.colour(),
        Shade::Unknown.colour(),
        Shade::Invalid.colour(),
    );
    for run in runs {
        let path = escape(&run.path);
        let _ = write!(
            html,
            "<li style=\"background:{}\" data-verdict=\"{}\"><a href=\"/{path}/index.html\">\
             {path}</a> {} ({})</li>",
            run.shade.colour(),
            run.shade.word(),
            escape(&run.what),
            run.shade.word(),
        );
    }
    html.push_str("</ul></body></html>\n");
    html
}
