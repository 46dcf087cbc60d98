//! What a run, a comparison and a capacity search leave behind. Each is an [`Output`]:
//! its verdict, its summary, its `results.json`, the files it draws and its page, all
//! rendered in memory; [`write()`] is the one function that puts one into its folder.
//! Rendering writes nothing (a run's timeline reads the history the run kept in the
//! folder); writing is here alone.

use std::path::Path;

use crate::files::{OutputError, Plot, pretty, write_outputs};

mod chart;
mod diagnosis;
pub mod pages;
mod pictures;
mod plots;
mod report;
mod results;
mod summary;
mod verdict;

pub(crate) use chart::{PLOT_SIZE, legend};
pub(crate) use diagnosis::{END_EACH_LINE, HELD_UNTIL_INPUT_ENDS};
pub use pages::{Page, Shade};
pub use report::Report;
pub use verdict::Verdict;

/// What a finished run, comparison or capacity search shows and keeps.
pub trait Output {
    /// What it came to.
    fn verdict(&self) -> Verdict;

    /// The stop signal that ended it early, if one did.
    fn interrupted(&self) -> Option<i32>;

    /// Its summary, as printed at its end.
    fn summary(&self) -> String;

    /// Its `results.json`.
    fn results_json(&self) -> serde_json::Value;

    /// The other files it draws, in the order they are written, each a name in the
    /// folder and its text (or why it could not be drawn). `dir` is that folder, for what
    /// the run kept there while it ran (its history, which the timeline is drawn from).
    fn files(&self, dir: &Path) -> Vec<(&'static str, Plot)>;

    /// Its page, `index.html`.
    fn page(&self) -> Page;

    /// Outputs that could not be written before (a run's history; the folders of a
    /// comparison's or a capacity search's runs): named among its own failures.
    fn unwritten(&self) -> Vec<OutputError>;
}

/// Writes `output` into `dir`: `results.json`, then its other files, then `index.html`
/// (which links what is there), each whole or absent. Every file is tried; the error
/// names each that could not be written, and each of [`Output::unwritten`].
pub fn write(dir: &Path, output: &dyn Output) -> Result<(), OutputError> {
    let mut written = vec![write_outputs(
        dir,
        [("results.json", Ok(pretty(&output.results_json())))],
    )];
    written.push(write_outputs(dir, output.files(dir)));
    let page = output.page();
    written.push(write_outputs(
        dir,
        [("index.html", Ok(pages::index(&page, dir)))],
    ));
    written.extend(output.unwritten().into_iter().map(Err));
    OutputError::all(written)
}
