//! One reply line appended to the output buffer: its parts copied end to end into the
//! buffer's spare room, with one capacity check for the whole line and no call to
//! `memcpy` for a part of up to 32 bytes.

use std::mem::MaybeUninit;

/// Appends to `out` what `write` puts in the [`Line`] it is given, room for `len` bytes
/// made first (a line that turns out longer is cut at `len`).
#[inline(always)]
pub(super) fn append(out: &mut Vec<u8>, len: usize, write: impl FnOnce(&mut Line<'_>)) {
    out.reserve(len);
    let start = out.len();
    let room = out.spare_capacity_mut();
    let room_len = room.len().min(len);
    let mut line = Line {
        room: &mut room[..room_len],
        at: 0,
    };
    write(&mut line);
    let written = start + line.at;
    // SAFETY: `line.room` is the start of `out`'s spare room, and `line.at` counts the
    // bytes at its start that are written (the invariant of `Line`). So `written` is
    // within the capacity and every byte below it is initialised.
    unsafe { out.set_len(written) };
}

/// A line being written into the spare room of a buffer.
pub(super) struct Line<'a> {
    /// Where the line goes.
    room: &'a mut [MaybeUninit<u8>],
    /// How many bytes are written: every byte of `room[..at]`, and `at <= room.len()`.
    at: usize,
}

impl Line<'_> {
    /// Appends `bytes`, or nothing if they do not fit.
    #[inline(always)]
    pub(super) fn put(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        if let Some(slot) = self.room.get_mut(self.at..end) {
            copy(slot, bytes); // writes every byte of `slot`: it is as long as `bytes`
            self.at = end;
        }
    }
}

/// Writes `src` into `room`, which must be as long (else only the shorter length is
/// copied). Up to 32 bytes, two fixed-size copies that overlap (or three single bytes);
/// longer, one copy of the whole.
#[inline(always)]
fn copy(room: &mut [MaybeUninit<u8>], src: &[u8]) {
    let n = src.len().min(room.len());
    match n {
        0 => {}
        1..=3 => {
            for i in [0, n / 2, n - 1] {
                room[i].write(src[i]);
            }
        }
        4..=7 => {
            chunk::<4>(room, src, 0);
            chunk::<4>(room, src, n - 4);
        }
        8..=16 => {
            chunk::<8>(room, src, 0);
            chunk::<8>(room, src, n - 8);
        }
        17..=32 => {
            chunk::<16>(room, src, 0);
            chunk::<16>(room, src, n - 16);
        }
        _ => {
            room[..n].write_copy_of_slice(&src[..n]);
        }
    }
}

/// Writes `src[at..at + K]` into `room[at..at + K]`, as one array, which the compiler
/// moves in one or two instructions.
#[inline(always)]
fn chunk<const K: usize>(room: &mut [MaybeUninit<u8>], src: &[u8], at: usize) {
    let room = room
        .get_mut(at..at + K)
        .and_then(|room| room.try_into().ok());
    let src = src
        .get(at..at + K)
        .and_then(|src| <&[u8; K]>::try_from(src).ok());
    if let (Some(room), Some(src)) = (room, src) {
        let room: &mut [MaybeUninit<u8>; K] = room;
        *room = src.map(MaybeUninit::new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_lands_whole_after_what_was_there() {
        let source: Vec<u8> = (0..100u8).collect();
        for len in 0..=source.len() {
            for capacity in [0, 1, len / 2, len, len + 7] {
                let mut out = Vec::with_capacity(capacity);
                out.extend_from_slice(b"before");
                append(&mut out, len + 1, |line| {
                    line.put(&source[..len / 3]);
                    line.put(&source[len / 3..len]);
                    line.put(b"!");
                    line.put(b"");
                });
                let mut expected = b"before".to_vec();
                expected.extend_from_slice(&source[..len]);
                expected.push(b'!');
                assert_eq!(out, expected, "len {len}, capacity {capacity}");
            }
        }
    }

    #[test]
    fn a_line_longer_than_said_is_cut_whole_parts_at_a_time() {
        let mut out = b"x".to_vec();
        append(&mut out, 5, |line| {
            line.put(b"abc");
            line.put(b"def");
            line.put(b"g");
        });
        assert_eq!(out, b"xabcg");
    }
}
