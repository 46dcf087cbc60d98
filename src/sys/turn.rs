//! Whose turn it is to write, when stdout and stderr go to one destination.

use std::sync::{Arc, Mutex, MutexGuard};

/// Whose turn it is to write, when stdout and stderr go to one destination (`2>&1`, one
/// terminal, one file): each whole batch of replies, and each whole batch of diagnostics,
/// is written holding it, so neither lands inside the other. Where they go to different
/// places there is nothing to share and taking a turn costs nothing.
#[derive(Debug, Clone, Default)]
pub struct Turn(Option<Arc<Mutex<()>>>);

impl Turn {
    /// A turn shared by the holders of its clones.
    pub fn shared() -> Turn {
        Turn(Some(Arc::new(Mutex::new(()))))
    }

    /// Waits for the turn, if it is shared; it is held until the guard is dropped.
    pub(super) fn take(&self) -> Option<MutexGuard<'_, ()>> {
        self.0
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}
