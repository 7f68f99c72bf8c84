//! One memory budget shared by every upstream answer being read or held, on top of the
//! per-answer cap: a hundred servers answering 30 MB each at once cannot take the process's
//! memory with them.
//!
//! The budget is a semaphore counted in KiB. An answer of declared length waits (until its
//! deadline) for its whole size before reading a byte; an answer of unknown length grows its
//! share as it arrives and fails at once when the budget is spent, because waiting while holding
//! part of the budget could deadlock readers against each other. A share goes back when the last
//! copy of the body it paid for is dropped (see [`Reservation::into_bytes`]).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget when `BACKUP_MCP_BODY_BUDGET_MB` is not set.
pub const DEFAULT_BUDGET_MIB: u64 = 256;

/// The semaphore's unit: one permit per KiB keeps counts within `u32` for any sane budget.
const UNIT: usize = 1024;

/// Why an answer could not get memory to be read into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error("it is larger than the whole budget")]
    LargerThanBudget,
    #[error("other servers' answers held the budget until the deadline")]
    NotFreedInTime,
    #[error("other servers' answers are using the budget; try again or narrow the query")]
    Spent,
}

/// The process-wide budget.
pub struct Budget {
    permits: Arc<Semaphore>,
    total_units: usize,
}

static GLOBAL: OnceLock<Budget> = OnceLock::new();

impl Budget {
    /// A budget of `bytes` (rounded up to whole KiB).
    pub fn new(bytes: u64) -> Self {
        let total_units = units(bytes as usize).clamp(1, Semaphore::MAX_PERMITS);
        Budget {
            permits: Arc::new(Semaphore::new(total_units)),
            total_units,
        }
    }

    /// Sets the process's budget; only the first call counts (made at start-up, before any
    /// request and before other threads exist). Returns false when a budget was already in place.
    pub fn install(bytes: u64) -> bool {
        return_big_buffers_to_the_os();
        GLOBAL.set(Budget::new(bytes)).is_ok()
    }

    /// The process's budget ([`DEFAULT_BUDGET_MIB`] unless [`Budget::install`] ran first).
    pub fn global() -> &'static Budget {
        GLOBAL.get_or_init(|| Budget::new(DEFAULT_BUDGET_MIB * 1024 * 1024))
    }

    /// The budget in whole MiB, for messages.
    pub fn total_mib(&self) -> u64 {
        (self.total_units * UNIT / (1024 * 1024)) as u64
    }

    /// Bytes not reserved right now.
    pub fn available(&self) -> usize {
        self.permits.available_permits() * UNIT
    }

    /// Waits until `bytes` are free (or `deadline` passes) and reserves them.
    pub async fn reserve(
        &self,
        bytes: usize,
        deadline: Instant,
    ) -> Result<Reservation, BudgetError> {
        let wanted = units(bytes);
        if wanted > self.total_units {
            return Err(BudgetError::LargerThanBudget);
        }
        let count = u32::try_from(wanted).map_err(|_| BudgetError::LargerThanBudget)?;
        let acquire = self.permits.clone().acquire_many_owned(count);
        match tokio::time::timeout_at(deadline.into(), acquire).await {
            Ok(Ok(permit)) => Ok(Reservation {
                permit: Some(permit),
                budget: self.permits.clone(),
                total_units: self.total_units,
            }),
            // The semaphore is never closed; treat it like a deadline rather than panic.
            Ok(Err(_)) | Err(_) => Err(BudgetError::NotFreedInTime),
        }
    }

    /// An empty share, to be grown with [`Reservation::grow_to`].
    pub fn empty(&self) -> Reservation {
        Reservation {
            permit: None,
            budget: self.permits.clone(),
            total_units: self.total_units,
        }
    }
}

/// A share of the budget; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    permit: Option<OwnedSemaphorePermit>,
    budget: Arc<Semaphore>,
    total_units: usize,
}

impl Reservation {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.permit.as_ref().map_or(0, |p| p.num_permits() * UNIT)
    }

    /// Grows the share to at least `bytes` without waiting.
    pub fn grow_to(&mut self, bytes: usize) -> Result<(), BudgetError> {
        let wanted = units(bytes);
        if wanted > self.total_units {
            return Err(BudgetError::LargerThanBudget);
        }
        let held = self.permit.as_ref().map_or(0, |p| p.num_permits());
        if wanted <= held {
            return Ok(());
        }
        let more = u32::try_from(wanted - held).map_err(|_| BudgetError::LargerThanBudget)?;
        let extra = self
            .budget
            .clone()
            .try_acquire_many_owned(more)
            .map_err(|_| BudgetError::Spent)?;
        match &mut self.permit {
            Some(permit) => permit.merge(extra),
            None => self.permit = Some(extra),
        }
        Ok(())
    }

    /// The body as `Bytes` that keep this share until the last copy of them is dropped.
    pub fn into_bytes(self, body: bytes::BytesMut) -> bytes::Bytes {
        bytes::Bytes::from_owner(Paid { body, _share: self })
    }
}

/// A body together with the share of the budget it occupies.
struct Paid {
    body: bytes::BytesMut,
    _share: Reservation,
}

impl AsRef<[u8]> for Paid {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

/// glibc raises its mmap threshold (up to 32 MiB) each time a big mmapped buffer is freed, after
/// which answer-sized buffers come from per-thread heaps that keep freed memory: measured, the
/// peak RSS of five calls over 16 answers of 30 MB under a 64 MiB budget grew from 129 to 217 MiB.
/// A fixed 1 MiB threshold keeps every answer-sized buffer mmapped and unmapped when freed, so
/// the budget bounds what the process holds, not only what it uses.
fn return_big_buffers_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tunables; it is called at start-up, before the
    // runtime's threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

fn units(bytes: usize) -> usize {
    bytes.div_ceil(UNIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MIB: usize = 1024 * 1024;

    #[tokio::test]
    async fn shares_are_bounded_and_come_back_when_the_body_is_dropped() {
        let budget = Budget::new(4 * MIB as u64);
        let soon = || Instant::now() + Duration::from_millis(50);
        let first = budget.reserve(3 * MIB, soon()).await.unwrap();
        assert_eq!(
            budget.reserve(2 * MIB, soon()).await.unwrap_err(),
            BudgetError::NotFreedInTime
        );
        assert_eq!(
            budget.reserve(5 * MIB, soon()).await.unwrap_err(),
            BudgetError::LargerThanBudget
        );
        let body = first.into_bytes(bytes::BytesMut::from(&b"abc"[..]));
        let copy = body.slice(1..);
        drop(body);
        assert_eq!(budget.available(), MIB, "a copy still holds the share");
        drop(copy);
        assert_eq!(budget.available(), 4 * MIB);
    }

    #[tokio::test]
    async fn growing_never_waits_and_fails_when_spent() {
        let budget = Budget::new(4 * MIB as u64);
        let mut a = budget.empty();
        a.grow_to(MIB).unwrap();
        a.grow_to(3 * MIB).unwrap();
        assert_eq!(a.bytes(), 3 * MIB);
        let mut b = budget.empty();
        assert_eq!(b.grow_to(2 * MIB).unwrap_err(), BudgetError::Spent);
        assert_eq!(
            b.grow_to(5 * MIB).unwrap_err(),
            BudgetError::LargerThanBudget
        );
        drop(a);
        b.grow_to(2 * MIB).unwrap();
        assert_eq!(budget.available(), 2 * MIB);
    }
}
