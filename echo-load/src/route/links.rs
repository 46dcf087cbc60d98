//! Each node's link: its stdin's bookkeeping, what it printed, the ids it used, and
//! whether it answered init.

use std::collections::{HashSet, VecDeque};
use std::ops::{Index, IndexMut};
use std::time::Instant;

use crate::check::integer_u64;
use crate::quick;

use super::MAX_WAITING;

/// The nodes' links, by node index (`links[n]`).
pub(super) struct Links {
    /// One a node, in the order of the nodes' names.
    all: Vec<Link>,
    /// Nodes that answered init. Invariant: the links whose `initialised` is set.
    initialised: usize,
}

impl Links {
    /// `count` links, none initialised, each as if its node printed a line at `now`.
    pub(super) fn new(count: usize, now: Instant) -> Self {
        let all = (0..count)
            .map(|_| Link {
                stdin: Stdin::default(),
                lost: 0,
                last_line: now,
                silent: false,
                initialised: false,
                ids: UniqueIds::default(),
                layout: quick::Layout::default(),
            })
            .collect();
        Links {
            all,
            initialised: 0,
        }
    }

    /// The links, by node index.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Link> {
        self.all.iter()
    }

    /// Node `k` answered init (it had not before).
    pub(super) fn answered_init(&mut self, k: usize) {
        debug_assert!(!self.all[k].initialised, "node {k} initialised twice");
        self.all[k].initialised = true;
        self.initialised += 1;
    }

    /// Node `k` answered init.
    pub(super) fn is_initialised(&self, k: usize) -> bool {
        self.all[k].initialised
    }

    /// How many nodes answered init.
    pub(super) fn initialised(&self) -> usize {
        self.initialised
    }

    /// Every node answered init.
    pub(super) fn all_initialised(&self) -> bool {
        self.initialised == self.all.len()
    }

    /// The load starts at `start`: a node's silence counts from there at the earliest.
    pub(super) fn start_load(&mut self, start: Instant) {
        for link in &mut self.all {
            link.last_line = link.last_line.max(start);
        }
    }
}

impl Index<usize> for Links {
    type Output = Link;

    #[inline]
    fn index(&self, n: usize) -> &Link {
        &self.all[n]
    }
}

impl IndexMut<usize> for Links {
    #[inline]
    fn index_mut(&mut self, n: usize) -> &mut Link {
        &mut self.all[n]
    }
}

/// What was queued for one node's stdin and what of it was written: which requests are
/// wholly written (a timed-out request's message says whether it was; its timeout runs
/// from its client's send), and whether the stdin takes nothing while
/// bytes wait for it.
#[derive(Debug, Default)]
pub(super) struct Stdin {
    /// Bytes ever queued. Invariant: `written <= queued`.
    pub(super) queued: u64,
    /// Bytes ever written.
    pub(super) written: u64,
    /// Requests not yet wholly written: (offset of their end in `queued`, client, its
    /// `msg_id`), in the order queued.
    pub(super) pending: VecDeque<(u64, usize, u64)>,
    /// Since when it has taken nothing while bytes waited for it.
    pub(super) stuck_since: Option<Instant>,
    /// It was reported for being [`MAX_WAITING`] behind (once is enough).
    pub(super) stuck_reported: bool,
}

impl Stdin {
    /// `bytes` more were queued; the request of `(client, msg_id)` ends with them, if
    /// one does.
    pub(super) fn queue(&mut self, bytes: usize, request: Option<(usize, u64)>) {
        self.queued += bytes as u64;
        if let Some((client, msg_id)) = request {
            self.pending.push_back((self.queued, client, msg_id));
        }
    }

    /// `bytes` more were written at `now`, and `left` wait: each request (client and
    /// `msg_id`) now wholly written is handed to `done`.
    pub(super) fn wrote(
        &mut self,
        bytes: usize,
        left: usize,
        now: Instant,
        mut done: impl FnMut(usize, u64),
    ) {
        debug_assert!(
            self.written + bytes as u64 <= self.queued,
            "more written than queued"
        );
        self.written = (self.written + bytes as u64).min(self.queued);
        while let Some(&(end, client, msg_id)) = self.pending.front() {
            if end > self.written {
                break;
            }
            self.pending.pop_front();
            done(client, msg_id);
        }
        if bytes > 0 || left == 0 {
            self.stuck_since = None;
        } else {
            self.stuck_since.get_or_insert(now);
        }
    }

    /// Bytes waiting, the first time they pass [`MAX_WAITING`]; `None` otherwise.
    pub(super) fn too_far_behind(&mut self) -> Option<u64> {
        let waiting = self.queued - self.written;
        (waiting > MAX_WAITING as u64 && !self.stuck_reported).then(|| {
            self.stuck_reported = true;
            waiting
        })
    }

    /// It is closed: what waits is dropped.
    pub(super) fn close(&mut self) {
        self.written = self.queued;
        self.pending.clear();
        self.stuck_since = None;
    }
}

/// The driver's state for one node's traffic.
#[derive(Debug)]
pub struct Link {
    /// Its stdin's bookkeeping.
    pub(super) stdin: Stdin,
    /// Lines of its stdout after Maelstrom would have stopped reading it.
    pub(super) lost: u64,
    /// When it last printed a stdout line.
    pub(super) last_line: Instant,
    /// Its silence was reported.
    pub(super) silent: bool,
    /// It answered init: set by [`Links::answered_init`] alone, which counts it.
    initialised: bool,
    /// The `msg_id`s it used (kept under `--strict` only).
    pub(super) ids: UniqueIds,
    /// The layout of its last reply the fast reading took.
    pub(super) layout: quick::Layout,
}

/// The `msg_id`s a node has used, to check that none repeats. A counter's ids (small and
/// dense) go in a bitmap; any others in sets.
#[derive(Debug, Default)]
pub struct UniqueIds {
    pub(super) bits: Vec<u64>,
    pub(super) sparse: HashSet<u64>,
    pub(super) other: HashSet<Vec<u8>>,
}

/// Ids below this go in the bitmap (at most 8 MiB of it).
const DENSE: u64 = 1 << 26;

impl UniqueIds {
    /// Records the integer token `id`; false if it was seen before.
    pub fn insert(&mut self, id: &[u8]) -> bool {
        match integer_u64(id) {
            Some(n) if n < DENSE => {
                let (word, bit) = ((n / 64) as usize, 1u64 << (n % 64));
                if self.bits.len() <= word {
                    self.bits.resize((word + 1).next_power_of_two(), 0);
                }
                let fresh = self.bits[word] & bit == 0;
                self.bits[word] |= bit;
                fresh
            }
            Some(n) => self.sparse.insert(n),
            None => self.other.insert(id.to_vec()),
        }
    }
}
