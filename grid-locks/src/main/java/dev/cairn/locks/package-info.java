/**
 * The lock service (issue 4): a deterministic state machine replicated by Raft ({@code RaftGroup}, jgroups-raft with an
 * fsynced log) over a configured group of 3 or 5 members. Under construction: the Raft group is in place; the lock
 * state machine and the {@code FencedLock} API come next.
 */
package dev.cairn.locks;
