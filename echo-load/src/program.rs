//! Whether a node's file can be started at all, and if not, why, in the terms of the
//! file itself: not there, a folder, not executable, a first line
//! naming an interpreter that is not there (or ending in a Windows `\r`), or neither a
//! script nor a program.

use std::path::{Path, PathBuf};

/// What the file is, when it can be started.
#[derive(Debug, PartialEq, Eq)]
pub enum Runs {
    /// A program of the system's own format (ELF, Mach-O).
    Program,
    /// A script, run by this interpreter (and, for `/usr/bin/env NAME`, NAME found here).
    Script(String),
    /// Something the system will try (too short to tell, say).
    Unknown,
}

/// Checks that `program` can be started: what runs it, or what to change, in words.
pub fn check(program: &Path) -> Result<Runs, String> {
    let shown = program.display();
    let meta = match std::fs::metadata(program) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let bare = !program.as_os_str().as_encoded_bytes().contains(&b'/');
            return Err(if bare {
                format!(
                    "there is no file {shown} in this folder, and no program of that name \
                     on PATH"
                )
            } else {
                format!("{shown}: there is no such file")
            });
        }
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    if meta.is_dir() {
        return Err(format!(
            "{shown} is a folder: --bin names the node's program or script itself"
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 == 0 {
            return Err(format!(
                "{shown} is not executable: make it so with `chmod +x {shown}`"
            ));
        }
    }
    let mut head = [0u8; 512];
    let read = {
        use std::io::Read;
        let mut file = std::fs::File::open(program).map_err(|e| format!("{shown}: {e}"))?;
        file.read(&mut head).map_err(|e| format!("{shown}: {e}"))?
    };
    runs(&head[..read], &shown.to_string())
}

/// What a file that begins with `head` is run by, or why it cannot be.
fn runs(head: &[u8], shown: &str) -> Result<Runs, String> {
    const MAGIC: [&[u8]; 5] = [
        b"\x7fELF",
        b"\xcf\xfa\xed\xfe",
        b"\xce\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
        b"\xfe\xed\xfa\xcf",
    ];
    if MAGIC.iter().any(|m| head.starts_with(m)) {
        return Ok(Runs::Program);
    }
    let Some(line) = head.strip_prefix(b"#!") else {
        if head.len() < 4 {
            return Ok(Runs::Unknown);
        }
        return Err(format!(
            "{shown} is neither a program nor a script whose first line names its \
             interpreter: begin it with one, such as `#!/usr/bin/env python3`"
        ));
    };
    let line = match line.iter().position(|&b| b == b'\n') {
        Some(end) => &line[..end],
        None if head.len() < 512 => line,
        None => return Err(format!("{shown}: its first line is too long to be read")),
    };
    if line.ends_with(b"\r") {
        return Err(format!(
            "{shown}'s first line ends with a Windows line end (`\\r`): the system looks for \
             an interpreter whose name ends in `\\r`. Save the file with Unix line ends \
             (`sed -i 's/\\r$//' {shown}`, or your editor's \"LF\" setting)"
        ));
    }
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let Some(interpreter) = words.next() else {
        return Err(format!(
            "{shown}'s first line, `#!`, names no interpreter: write one, such as \
             `#!/usr/bin/env python3`"
        ));
    };
    if !Path::new(interpreter).is_file() {
        let name = interpreter.rsplit('/').next().unwrap_or(interpreter);
        let found = on_path(name).map_or(String::new(), |at| {
            format!(
                "; {name} is at {}, so begin the file with `#!/usr/bin/env {name}`",
                at.display()
            )
        });
        return Err(format!(
            "{shown}'s first line names {interpreter} as its interpreter, and there is \
             none here{found}"
        ));
    }
    if interpreter.ends_with("/env") {
        // `env NAME` (or `env -S NAME ARGS`): NAME is looked up on PATH when it runs.
        if let Some(name) = words.find(|w| !w.starts_with('-')) {
            if on_path(name).is_none() && !name.contains('/') {
                return Err(format!(
                    "{shown}'s first line runs `{name}` through env, and there is no \
                     program of that name on PATH: install it, or name it by its full path"
                ));
            }
            return Ok(Runs::Script(format!("{name} (through {interpreter})")));
        }
    }
    Ok(Runs::Script(interpreter.to_owned()))
}

/// Where `name` is on PATH, as a shell would find it.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_runs_a_file_and_why_not() {
        let runs = |head: &[u8]| runs(head, "./node");
        assert_eq!(runs(b"\x7fELF\x02\x01"), Ok(Runs::Program));
        assert_eq!(
            runs(b"#!/bin/sh\nexec cat\n"),
            Ok(Runs::Script("/bin/sh".into()))
        );
        assert!(
            matches!(runs(b"#!/usr/bin/env sh\n"), Ok(Runs::Script(s)) if s.starts_with("sh "))
        );
        let windows = runs(b"#!/bin/sh\r\nexec cat\r\n").unwrap_err();
        assert!(windows.contains("Windows line end"), "{windows}");
        let missing = runs(b"#!/no/such/sh\n").unwrap_err();
        assert!(
            missing.contains("/no/such/sh") && missing.contains("#!/usr/bin/env sh"),
            "{missing}"
        );
        let unknown = runs(b"#!/usr/bin/env no-such-interpreter-here\n").unwrap_err();
        assert!(unknown.contains("no program of that name"), "{unknown}");
        let text = runs(b"import sys\nfor line in sys.stdin:\n").unwrap_err();
        assert!(text.contains("#!/usr/bin/env python3"), "{text}");
        assert!(runs(b"#!\n").unwrap_err().contains("names no interpreter"));
    }
}
