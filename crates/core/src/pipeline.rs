//! Work decided on all cores and applied in order, each piece as soon as it is decided.
//!
//! Many steps of a tick have two parts: deciding, piece by piece (a chunk of buyers, a
//! generation's book), from state nobody changes meanwhile; and applying the decisions
//! in a fixed order to shared state (the ledger, the fleet, the book), which only one
//! thread may do. Deciding everything on all cores and then applying everything leaves
//! every core but one idle while the decisions are applied. [`decide_then_apply`]
//! applies each decision as soon as it and those before it are ready: the calling
//! thread applies in order and decides the next undecided piece itself whenever the
//! one it needs is not ready, while the other cores decide ahead of it. The decisions
//! and the order they are applied in do not depend on who decides what, so neither do
//! the results.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Decides every input with `decide` (on all cores) and applies the decisions with
/// `apply` on this thread, in the inputs' order.
pub fn decide_then_apply<I: Send, R: Send>(
    inputs: Vec<I>,
    decide: impl Fn(I) -> R + Sync,
    mut apply: impl FnMut(R) + Send,
) {
    let n = inputs.len();
    let line = Line {
        undecided: inputs.into_iter().map(|i| Mutex::new(Some(i))).collect(),
        next: AtomicUsize::new(0),
        decided: (0..n).map(|_| Mutex::new(None)).collect(),
        failed: AtomicBool::new(false),
    };
    rayon::scope(|scope| {
        for _ in 1..rayon::current_num_threads().min(n) {
            scope.spawn(|_| while line.decide_next(&decide) {});
        }
        for k in 0..n {
            apply(line.wait_for(k, &decide));
        }
    });
}

/// The pieces on their way from deciding to applying.
struct Line<I, R> {
    /// Inputs not yet taken to be decided.
    undecided: Vec<Mutex<Option<I>>>,
    /// The next input to take.
    next: AtomicUsize,
    /// Decisions not yet applied.
    decided: Vec<Mutex<Option<R>>>,
    /// Set if deciding a piece panicked, so that the applying thread stops waiting.
    failed: AtomicBool,
}

impl<I, R> Line<I, R> {
    /// Decides the next undecided input; false when none is left.
    fn decide_next(&self, decide: &impl Fn(I) -> R) -> bool {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = self.undecided.get(k) else {
            return false;
        };
        /// Marks the line failed if its thread unwinds before the decision is stored.
        struct Guard<'a>(&'a AtomicBool);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.store(true, Ordering::Release);
                }
            }
        }
        let _guard = Guard(&self.failed);
        let input = lock(slot).take().expect("each input is taken once");
        let decision = decide(input);
        *lock(&self.decided[k]) = Some(decision);
        true
    }

    /// Decision `k`, deciding inputs meanwhile if it is not ready.
    fn wait_for(&self, k: usize, decide: &impl Fn(I) -> R) -> R {
        loop {
            if let Some(decision) = lock(&self.decided[k]).take() {
                return decision;
            }
            assert!(
                !self.failed.load(Ordering::Acquire),
                "deciding a piece of work panicked on another thread"
            );
            if !self.decide_next(decide) {
                // Another thread is deciding it.
                std::hint::spin_loop();
            }
        }
    }
}

/// Locks a mutex of the line; a slot always holds a whole input or decision or none,
/// so a lock poisoned by a panic elsewhere is still sound to read.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::decide_then_apply;

    #[test]
    fn decisions_are_applied_in_order_whatever_the_thread_count() {
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for _ in 0..20 {
                let mut applied = Vec::new();
                pool.install(|| {
                    decide_then_apply(
                        (0..50u64).collect(),
                        // Uneven work, so that decisions finish out of order.
                        |i| (i, (0..(i % 7) * 1_000).fold(i, |a, b| a ^ b.rotate_left(3))),
                        |(i, _)| applied.push(i),
                    )
                });
                assert_eq!(applied, (0..50).collect::<Vec<_>>(), "{threads} threads");
            }
        }
        let mut none = Vec::<u8>::new();
        decide_then_apply(Vec::<u8>::new(), |i| i, |i| none.push(i));
        assert!(none.is_empty());
    }

    #[test]
    fn a_panic_while_deciding_reaches_the_caller_instead_of_hanging_it() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                decide_then_apply(
                    (0..8u32).collect(),
                    |i| {
                        assert!(i != 5, "piece 5 cannot be decided");
                        i
                    },
                    |_| {},
                )
            })
        }));
        assert!(outcome.is_err());
    }
}
