/**
 * An undo log: every effect a host function makes records how to take it back, so that an entry that
 * fails (trap, out of gas, YieldInCall, an actor error) leaves no effects (DESIGN §4 rule 4).
 */
export interface Journal {
  /** A point to roll back to. */
  mark(): number;
  /** Remember how to undo the effect just made. */
  record(undo: () => void): void;
  /** Undo, newest first, every effect recorded since `mark`. */
  rollback(mark: number): void;
}

/** @example const j = createJournal(); const m = j.mark(); list.push(x); j.record(() => list.pop()); j.rollback(m); */
export function createJournal(): Journal {
  const undo: Array<() => void> = [];
  return {
    mark: () => undo.length,
    record(fn) {
      undo.push(fn);
    },
    rollback(mark) {
      while (undo.length > mark) (undo.pop() as () => void)();
    },
  };
}

/** Pushes onto `list` and journals the pop. */
export function pushJournaled<T>(journal: Journal, list: T[], item: T): void {
  list.push(item);
  journal.record(() => {
    list.pop();
  });
}
