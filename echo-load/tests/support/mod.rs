//! What echo-load's integration tests share: the `demo_node` example, built.

#![allow(dead_code)] // each test file uses its part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `demo_node` example, built (or brought up to date) once per test run: a test run
/// alone (`cargo test --test verdict`) does not build examples by itself.
pub fn demo_node() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test path");
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("target/<profile>/deps");
            let mut build = Command::new(env!("CARGO"));
            build.args([
                "build",
                "--quiet",
                "-p",
                "echo-load",
                "--example",
                "demo_node",
            ]);
            if profile_dir.ends_with("release") {
                build.arg("--release");
            }
            assert!(
                build.status().expect("cargo").success(),
                "building demo_node"
            );
            profile_dir.join("examples").join("demo_node")
        })
        .clone()
}
