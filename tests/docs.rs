//! The project's markdown files link only to files and `#` anchors that exist: every
//! relative link's path is checked, and every anchor against the headings of the file it
//! points into (GitHub's rule: lowercase, punctuation dropped, spaces to hyphens).
//!
//! Each package's README, as crates.io shows it, links only to files of that package (a
//! relative link), or to a package of the workspace by absolute URL: its crates.io page,
//! or a file of it on docs.rs (`https://docs.rs/crate/NAME/VERSION/source/PATH`, at the
//! package's own version).

#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Markdown files of the repository, outside build and fuzzing output.
fn markdown_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && !["target", "corpus", "artifacts"].contains(&name.as_str())
            {
                markdown_files(&path, found);
            }
        } else if name.ends_with(".md") {
            found.push(path);
        }
    }
}

/// The lines of a markdown text outside fenced code blocks.
fn prose(text: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    text.lines().filter(move |line| {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        !fenced && !line.starts_with("```")
    })
}

/// The anchors GitHub makes of a markdown file's headings (outside code blocks).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    for line in prose(text) {
        if !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let anchor: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        anchors.insert(anchor);
    }
    anchors
}

/// The targets of the inline links `[text](target)` in `text`, outside code blocks and
/// code spans.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in prose(text) {
        // Drop code spans, whose brackets are not links.
        let plain: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = plain.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    found
}

#[test]
fn every_markdown_link_leads_somewhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    markdown_files(root, &mut files);
    assert!(files.len() >= 7, "the docs are found: {files:?}");
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("markdown is UTF-8");
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap_or(root).join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link}: no such file", file.display()));
                continue;
            }
            if !anchor.is_empty() {
                let text = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&text).contains(anchor) {
                    broken.push(format!("{}: {link}: no such heading", file.display()));
                }
            }
        }
    }
    assert!(checked >= 20, "links were checked: {checked}");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// A package of the workspace: its folder, name, version, and what it leaves out.
struct Package {
    dir: PathBuf,
    name: String,
    version: String,
    exclude: Vec<String>,
}

/// The value of `key = "..."` in a manifest's `[package]` table.
fn manifest_value(manifest: &str, key: &str) -> String {
    manifest
        .lines()
        .take_while(|l| !l.starts_with('[') || l.trim() == "[package]")
        .find_map(|l| {
            l.strip_prefix(key)?
                .trim_start()
                .strip_prefix('=')?
                .trim()
                .strip_prefix('"')?
                .strip_suffix('"')
        })
        .unwrap_or_else(|| panic!("{key} in the manifest"))
        .to_owned()
}

/// The workspace's packages: the root (echo-node), echo-load and echo-wire.
fn packages(root: &Path) -> Vec<Package> {
    ["", "echo-load", "wire"]
        .iter()
        .map(|dir| {
            let dir = root.join(dir);
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("manifest");
            let exclude = manifest
                .lines()
                .find_map(|l| l.strip_prefix("exclude = ["))
                .map(|list| {
                    list.trim_end_matches(']')
                        .split(',')
                        .map(|item| {
                            item.trim()
                                .trim_matches('"')
                                .trim_start_matches('/')
                                .to_owned()
                        })
                        .filter(|item| !item.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            Package {
                name: manifest_value(&manifest, "name"),
                version: manifest_value(&manifest, "version"),
                exclude,
                dir,
            }
        })
        .collect()
}

impl Package {
    /// Whether `path` (relative to the package's folder) is a file cargo puts in the
    /// package: it exists, no `exclude` entry covers it, and no folder on its way holds
    /// another package.
    fn holds(&self, path: &Path) -> bool {
        let full = self.dir.join(path);
        if !full.is_file() || path.components().any(|c| c.as_os_str() == "..") {
            return false;
        }
        let text = path.to_string_lossy();
        if self
            .exclude
            .iter()
            .any(|e| text == *e || text.starts_with(&format!("{e}/")))
        {
            return false;
        }
        let mut folder = full.parent();
        while let Some(f) = folder {
            if f == self.dir {
                return true;
            }
            if f.join("Cargo.toml").exists() {
                return false;
            }
            folder = f.parent();
        }
        false
    }
}

#[test]
fn each_packages_readme_links_only_inside_it_or_to_a_package_by_url() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let packages = packages(root);
    let mut broken = Vec::new();
    let mut checked = 0;
    for package in &packages {
        let readme = std::fs::read_to_string(package.dir.join("README.md")).expect("README");
        for link in links(&readme) {
            checked += 1;
            let path = link.split_once('#').map_or(link.as_str(), |(p, _)| p);
            let ok = if let Some(rest) = link.strip_prefix("https://crates.io/crates/") {
                packages.iter().any(|p| p.name == rest)
            } else if let Some(rest) = link.strip_prefix("https://docs.rs/crate/") {
                let mut parts = rest.splitn(4, '/');
                match (parts.next(), parts.next(), parts.next(), parts.next()) {
                    (Some(name), Some(version), Some("source"), Some(file)) => {
                        packages.iter().any(|p| {
                            p.name == name && p.version == version && p.holds(Path::new(file))
                        })
                    }
                    _ => false,
                }
            } else if link.contains("://") {
                true // another site
            } else {
                path.is_empty() || package.holds(Path::new(path))
            };
            if !ok {
                broken.push(format!("{} README: {link}", package.name));
            }
        }
    }
    assert!(checked >= 20, "links were checked: {checked}");
    assert!(
        broken.is_empty(),
        "links that crates.io would show broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn anchors_follow_githubs_rule() {
    let text =
        "# Quick start\n## The `--stats` counters\n```\n# not a heading\n```\n### The node's flags";
    let got = anchors(text);
    let expected: BTreeSet<String> = ["quick-start", "the---stats-counters", "the-nodes-flags"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        links("see [a](A.md#x) and `[b](no)` and [c](https://e.org)"),
        ["A.md#x", "https://e.org"]
    );
}
