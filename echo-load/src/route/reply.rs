//! The reply rules: what a message to a client is (its reply, one for a later request,
//! or one it skips), and what an init client takes.

use std::time::Instant;

use crate::check::{self, Schema, Type, integer_u64, same_value};
use crate::fault::{At, Excerpt, Fault, Skip};
use crate::history::Completion;

use super::clients::{Clients, Waiting};
use super::{Outcome, QUOTE, Router};

impl Router {
    /// Client `c` now waits, with messages kept for it: it skips each until the first
    /// that answers its request, which is then its reply, right or wrong (client.clj,
    /// `recv!`); the rest stay for its next requests.
    pub(super) fn early(&mut self, c: usize, now: Instant) {
        let Some(msg_id) = self.clients[c].waiting.as_ref().map(|w| w.msg_id) else {
            return;
        };
        while let Some(early) = self.clients[c].early.pop_front() {
            let Ok(message) = check::read_message(&early.line) else {
                continue; // read once already, when it came
            };
            let (n, number, line) = (early.node, early.number, &early.line[..]);
            if early.in_reply_to == msg_id {
                if let Outcome::Answered { due, sent } =
                    self.for_client(n, number, c, line, &message.body, now)
                {
                    self.answered_early = Some((due, sent));
                }
                return;
            }
            let at = At {
                node: self.names.of(n).to_owned(),
                line: number,
            };
            let token = message.body.in_reply_to.map(|s| s.of(line));
            self.skip(at, c, token, Some(early.in_reply_to), line, &message.body);
        }
    }

    /// When a request [`Router::send`] just sent was at once answered by a message kept
    /// for it, its due and sent times (taken once).
    pub fn take_answered_early(&mut self) -> Option<(Instant, Instant)> {
        self.answered_early.take()
    }

    /// Every message still kept for a client's later request is skipped: its client
    /// never waited for it (the run ended, or the client was replaced).
    pub(super) fn skip_early(&mut self, c: usize) {
        while let Some(early) = self.clients[c].early.pop_front() {
            let Ok(message) = check::read_message(&early.line) else {
                continue;
            };
            let at = At {
                node: self.names.of(early.node).to_owned(),
                line: early.number,
            };
            let line = &early.line[..];
            let token = message.body.in_reply_to.map(|s| s.of(line));
            self.skip(at, c, token, Some(early.in_reply_to), line, &message.body);
        }
    }

    /// Skips every message kept for a later request, at the end of the run.
    pub(super) fn skip_all_early(&mut self) {
        for c in 0..self.clients.len() {
            self.skip_early(c);
        }
    }

    /// A message to `c0` before node `n` answered init: the init_ok, or skipped.
    pub(super) fn for_init_client(
        &mut self,
        n: usize,
        number: u64,
        k: usize,
        line: &[u8],
        body: &check::Body,
    ) -> Outcome {
        if body.in_reply_to.map(|s| integer_u64(s.of(line))) != Some(Some(1)) {
            self.tally.count().skipped += 1;
            return Outcome::Done;
        }
        let fault = |why: String| Fault::BadInit {
            at: At {
                node: self.names.of(n).to_owned(),
                line: number,
            },
            why,
            text: Excerpt::of(line, QUOTE),
        };
        // Maelstrom's init is a plain RPC: an error reply throws, and of any other reply
        // only `type` is checked (db.clj, setup!).
        if body.type_of(line) == Type::Error {
            let f = fault("an error reply".into());
            self.tally.fault(f);
        } else if body.type_of(line) != Type::InitOk {
            let f = fault("its type is not \"init_ok\"".into());
            self.tally.fault(f);
        } else {
            // It answers node k's init, whichever node printed it: the client takes the
            // reply to its msg_id from anyone.
            self.links.answered_init(k);
        }
        Outcome::Done
    }

    /// A message node `n` addressed to client `c`.
    pub(super) fn for_client(
        &mut self,
        n: usize,
        number: u64,
        c: usize,
        line: &[u8],
        body: &check::Body,
        now: Instant,
    ) -> Outcome {
        // Built only for a fault: a correct reply costs no allocation.
        let at = |names: &[String]| At {
            node: names[n].clone(),
            line: number,
        };
        let in_reply_to = body.in_reply_to.map(|s| s.of(line));
        let id = in_reply_to.and_then(integer_u64);
        let client = &mut self.clients[c];
        let matched = client
            .waiting
            .as_ref()
            .is_some_and(|w| Some(w.msg_id) == id);
        if client.keep_early(id, n, number, line) {
            return Outcome::Done;
        }
        if !matched {
            self.skip(at(self.names.all()), c, in_reply_to, id, line, body);
            return Outcome::Done;
        }
        let Some(waiting) = self.take_waiting(n, number, c) else {
            return Outcome::Done;
        };
        let msg_id = waiting.msg_id;
        let name = |clients: &Clients| clients[c].name.clone();
        if body.type_of(line) == Type::Error {
            self.tally.count().failed += 1;
            let code = body.code.map_or(&b"null"[..], |s| s.of(line));
            self.completed(now, c, n, msg_id, Completion::Fail { code });
            let text = body
                .text
                .and_then(|s| check::decode_string(s.of(line)).ok())
                .map(|t| crate::words::printable(&t, false).into_owned())
                .unwrap_or_default();
            self.tally.fault(Fault::ErrorReply {
                at: at(self.names.all()),
                client: name(&self.clients),
                msg_id,
                code: body
                    .code
                    .map(|s| String::from_utf8_lossy(s.of(line)).into_owned())
                    .unwrap_or_else(|| "(no code)".into()),
                text,
            });
            return Outcome::Done;
        }
        if let Err(why) = body.check(line, Schema::EchoOk) {
            self.tally.count().wrong += 1;
            self.tally.count().malformed += 1;
            let error = "malformed reply";
            self.completed(now, c, n, msg_id, Completion::Info { error });
            self.tally.fault(Fault::Malformed {
                at: at(self.names.all()),
                client: name(&self.clients),
                msg_id,
                why: why.to_string(),
                text: Excerpt::of(line, QUOTE),
            });
            return Outcome::Done;
        }
        let sent = self.clients.payload(waiting.payload);
        let echo = body.echo.map(|s| s.of(line)).unwrap_or_default();
        if !same_value(sent, echo) {
            self.tally.count().wrong += 1;
            let sent = Excerpt::of(sent, 80);
            let how = Completion::Ok {
                value: echo,
                body: body_of(line),
                valid: false,
            };
            self.completed(now, c, n, msg_id, how);
            let (at, name) = (at(self.names.all()), name(&self.clients));
            let owner = self.clients.owner_of(c, msg_id, Some(echo)).map(|o| {
                let owner = self.clients[o].name.clone();
                let note = format!("reply to {owner}'s request sent to {name}, {at}");
                if let Some(w) = &mut self.clients[o].waiting {
                    w.note.get_or_insert(note);
                }
                owner
            });
            self.tally.fault(Fault::WrongEcho {
                at,
                client: name,
                msg_id,
                sent,
                got: Excerpt::of(echo, 80),
                owner,
            });
            return Outcome::Done;
        }
        self.answered(n, c, &waiting, line, echo, now)
    }

    /// Client `c`'s request is answered by a reply from node `n` (line `number`): it is
    /// idle again, and under `--strict` a reply from another node than the one asked is
    /// a fault. `None` if it waited for nothing.
    #[inline]
    pub(super) fn take_waiting(&mut self, n: usize, number: u64, c: usize) -> Option<Waiting> {
        let waiting = self.clients.take_waiting(c)?;
        let asked = self.clients[c].node;
        if self.strict && asked != n {
            self.tally.fault(Fault::OtherNode {
                at: At {
                    node: self.names.of(n).to_owned(),
                    line: number,
                },
                client: self.clients[c].name.clone(),
                asked: self.names.of(asked).to_owned(),
            });
        }
        Some(waiting)
    }

    /// Client `c`'s request, `waiting`, got its echo back, right, from node `n`.
    #[inline]
    pub(super) fn answered(
        &mut self,
        n: usize,
        c: usize,
        waiting: &Waiting,
        line: &[u8],
        echo: &[u8],
        now: Instant,
    ) -> Outcome {
        self.tally.count().ok += 1;
        if self.tally.keeps_history() {
            let how = Completion::Ok {
                value: echo,
                body: body_of(line),
                valid: true,
            };
            self.completed(now, c, n, waiting.msg_id, how);
        }
        Outcome::Answered {
            due: waiting.due,
            sent: waiting.written.unwrap_or(now),
        }
    }

    /// Client `c` skips a message that is not its reply: counted, classified, noted.
    pub(super) fn skip(
        &mut self,
        at: At,
        c: usize,
        token: Option<&[u8]>,
        id: Option<u64>,
        line: &[u8],
        body: &check::Body,
    ) {
        self.tally.count().skipped += 1;
        let client = &self.clients[c];
        let waiting_for = client.waiting.as_ref().map(|w| w.msg_id);
        let echo = body.echo.map(|s| s.of(line));
        let why = match id {
            // Another client waits for this msg_id with this payload: it was theirs.
            Some(id) if let Some(o) = self.clients.owner_of(c, id, echo) => Skip::Misdirected {
                owner: self.clients[o].name.clone(),
                in_reply_to: id,
            },
            Some(id) if id >= 1 && id < waiting_for.unwrap_or(client.next_msg_id) => {
                Skip::Duplicate { in_reply_to: id }
            }
            _ => Skip::Unsolicited {
                in_reply_to: token.map(|t| String::from_utf8_lossy(t).into_owned()),
            },
        };
        let name = self.clients[c].name.clone();
        match &why {
            Skip::Duplicate { .. } => self.tally.count().duplicate += 1,
            Skip::Misdirected { owner, .. } => {
                self.tally.count().misdirected += 1;
                let note = format!("reply to {owner}'s request sent to {name}, {at}");
                if let Some(o) = self.client(owner)
                    && let Some(w) = &mut self.clients[o].waiting
                {
                    w.note.get_or_insert(note);
                }
            }
            Skip::Unsolicited { .. } => {
                if let Some(w) = &mut self.clients[c].waiting {
                    w.note.get_or_insert(format!("{name} skipped {why}, {at}"));
                }
            }
        }
        if self.strict {
            self.tally.fault(Fault::Skipped {
                at,
                client: name,
                why,
            });
        }
    }
}

/// The body of the reply `line` (its JSON text), for the history: read again, as only a
/// run that keeps its history needs it.
#[cold]
fn body_of(line: &[u8]) -> &[u8] {
    check::read_message(line)
        .ok()
        .and_then(|m| m.body_span)
        .map_or(&b"{}"[..], |b| b.of(line))
}
