//! The parse: the words cut at `--`, each looked up in [`FLAGS`](super::flags::FLAGS)
//! and done, then the command made of what they gave.

use std::ffi::OsString;
use std::path::PathBuf;

use super::flags::{self, Does};
use super::given::{Command, Given};

/// Splits the words after the program's name at the `--` that ends echo-load's own
/// (the first one that is not an option's value): echo-load's words, and the nodes'.
pub(super) fn split_at_separator(args: Vec<OsString>) -> (Vec<OsString>, Vec<OsString>) {
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--" {
            let mut args = args;
            let node_args = args.split_off(i + 1);
            args.pop();
            return (args, node_args);
        }
        let takes_value = args[i].to_str().is_some_and(flags::takes_next_word);
        i += if takes_value { 2 } else { 1 };
    }
    (args, Vec::new())
}

/// The value of option `name`, as text.
fn value(parser: &mut lexopt::Parser, name: &str) -> Result<String, String> {
    let raw = parser
        .value()
        .map_err(|_| format!("{name}: missing its value"))?;
    Ok(raw.to_string_lossy().into_owned())
}

/// `echo-load serve [--store DIR] [--port N] [--bind ADDR]`.
fn parse_serve(words: &[OsString]) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut store = PathBuf::from(echo_load::store::STORE);
    let (mut port, mut bind): (u16, std::net::IpAddr) =
        (8080, std::net::Ipv4Addr::LOCALHOST.into());
    let mut parser = lexopt::Parser::from_args(words.iter().cloned());
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("store") => store = PathBuf::from(value(&mut parser, "--store")?),
            Long("port") => port = flags::parsed("--port", &value(&mut parser, "--port")?)?,
            Long("bind") => bind = flags::parsed("--bind", &value(&mut parser, "--bind")?)?,
            Short('h') | Long("help") => return Ok(Command::Help),
            other => return Err(format!("serve: {}", other.unexpected())),
        }
    }
    Ok(Command::Serve(store, std::net::SocketAddr::new(bind, port)))
}

/// `echo-load doctor --bin PATH [-- NODE_ARGS...]` (or `echo-load doctor PATH`).
fn parse_doctor(words: &[OsString], node_args: Vec<OsString>) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut bin = None;
    let mut parser = lexopt::Parser::from_args(words.iter().cloned());
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("bin") if bin.is_none() => bin = Some(PathBuf::from(value(&mut parser, "--bin")?)),
            Value(word) if bin.is_none() => bin = Some(PathBuf::from(word)),
            Short('h') | Long("help") => return Ok(Command::Help),
            other => return Err(format!("doctor: {}", other.unexpected())),
        }
    }
    let bin = bin.ok_or("doctor: which node? echo-load doctor --bin PATH [-- NODE_ARGS...]")?;
    let args = node_args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Ok(Command::Doctor(bin, args))
}

/// The command, and a line for each option of Maelstrom's that was taken with no
/// effect (to be said on stderr).
pub(super) fn parse(args: Vec<OsString>) -> Result<(Command, Vec<String>), String> {
    use lexopt::prelude::*;
    let (mut own, node_args) = split_at_separator(args);
    // `echo-load test -w echo ...`: Maelstrom's own command line, as typed.
    let maelstrom = own.first().is_some_and(|w| w == "test");
    if maelstrom {
        own.remove(0);
    } else if own.first().is_some_and(|w| w == "serve") {
        return parse_serve(&own[1..]).map(|c| (c, Vec::new()));
    } else if own.first().is_some_and(|w| w == "doctor") {
        return parse_doctor(&own[1..], node_args).map(|c| (c, Vec::new()));
    } else if let Some(word) = own.first().and_then(|w| w.to_str())
        && ["demo", "doc", "test-all"].contains(&word)
    {
        return Err(format!(
            "'{word}' is a command of Maelstrom's that echo-load does not have: it runs \
             tests of the echo workload (echo-load test -w echo --bin PATH ..., or \
             echo-load --bin PATH ...)"
        ));
    }
    let mut given = Given::default();
    let mut extra_args: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    let mut parser = lexopt::Parser::from_args(own);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let flag = match &arg {
            Long(name) => flags::long(name),
            Short(c) => flags::short(*c),
            // Maelstrom's `test` takes its other words as the node's arguments
            // (core.clj, `add-args`).
            Value(word) if maelstrom => {
                extra_args.push(word.to_string_lossy().into_owned());
                continue;
            }
            Value(word) => {
                return Err(format!(
                    "unexpected word '{}': the node's arguments go after '--' \
                     (echo-load --bin PATH -- ARGS...)",
                    word.to_string_lossy()
                ));
            }
        };
        let Some(flag) = flag else {
            return Err(arg.unexpected().to_string());
        };
        let name = format!("--{}", flag.long);
        if let Does::Node = flag.does {
            return Err(format!(
                "'{name}' is an option of the node, not of echo-load: node options go \
                 after '--' (echo-load --bin PATH -- {name} ...)"
            ));
        }
        let text = match flag.value {
            Some(_) => value(&mut parser, &name)?,
            None => String::new(),
        };
        match &flag.does {
            Does::Set(set) => set(&mut given, &name, &text)?,
            Does::Switch(switch) => switch(&mut given),
            Does::NoEffect(why, check) => {
                if let Some(check) = check {
                    check(&name, &text)?;
                }
                notes.push(format!(
                    "{name}, Maelstrom's, has no effect on an echo run here: {why}"
                ));
            }
            Does::Refused(why) => return Err(format!("{name}: {why}")),
            Does::Node => {} // refused above, before its value
        }
    }
    let command = given.command(maelstrom, extra_args, node_args)?;
    Ok((command, notes))
}
