/**
 * How long runs of removed lines are summarised (units/long-removals.ts), in a module of its own: the config's
 * schema reads these, and must not load the planner to do so.
 */

/** Removed lines kept on show at an end of a long run that an added line borders: what the addition replaces. */
export const REMOVAL_ENDS_SHOWN = 20;
/** The smallest config summarise_removed_over: it leaves more to summarise than the two ends on show. */
export const MIN_SUMMARISE_OVER = 4 * REMOVAL_ENDS_SHOWN;
