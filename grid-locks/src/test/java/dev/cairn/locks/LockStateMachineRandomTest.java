package dev.cairn.locks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.locks.LockResult.Grant;
import dev.cairn.locks.LockResult.Holder;
import dev.cairn.locks.LockResult.Kind;
import dev.cairn.locks.LockResult.LockInfo;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded random command sequences: replicas agree byte for byte, and no mutex ever has two owners. */
class LockStateMachineRandomTest {

    private static final String[] MUTEXES = {"m0", "m1", "m2"};
    private static final String[] RW_LOCKS = {"rw0", "rw1"};
    private static final long SESSION_TIMEOUT = 500;

    private record Owner(long session, long thread) { }

    /** Who holds what, as learnt from results and grants alone; refuses a second owner. */
    private static final class Model {
        private final Map<String, Owner> writers = new HashMap<>();
        private final Map<String, List<Owner>> readers = new HashMap<>();

        void grantWrite(String where, String key, Owner owner) {
            Owner writer = writers.get(key);
            List<Owner> reading = readers.getOrDefault(key, List.of());
            if (writer != null || !reading.isEmpty()) {
                fail(where + key + " granted to " + owner + " while held by " + writer + " and readers " + reading);
            }
            writers.put(key, owner);
        }

        void grantRead(String where, String key, Owner owner) {
            Owner writer = writers.get(key);
            if (writer != null && !writer.equals(owner)) {
                fail(where + key + " read-granted to " + owner + " while written by " + writer);
            }
            readers.computeIfAbsent(key, k -> new ArrayList<>()).add(owner);
        }

        void release(String key, Owner owner, boolean read) {
            if (read) {
                readers.getOrDefault(key, new ArrayList<>()).remove(owner);
            } else {
                writers.remove(key, owner);
            }
        }

        void end(long session) {
            writers.values().removeIf(o -> o.session() == session);
            readers.values().forEach(list -> list.removeIf(o -> o.session() == session));
        }

        List<Owner> holders(String key) {
            List<Owner> holders = new ArrayList<>();
            Owner writer = writers.get(key);
            if (writer != null) {
                holders.add(writer);
            }
            holders.addAll(readers.getOrDefault(key, List.of()));
            return holders;
        }
    }

    /** A command, or a replay (retry) of the command at index {@code replayOf}. */
    private record Step(byte[] command, int replayOf) { }

    private static List<Step> randomSteps(long seed, int count) {
        Random random = new Random(seed);
        List<Step> steps = new ArrayList<>(count);
        List<Long> sessions = new ArrayList<>();
        List<Integer> replayable = new ArrayList<>();
        long nextInvocation = 1;
        long now = 0;
        for (int i = 0; i < count; i++) {
            now += random.nextInt(40);
            if (sessions.isEmpty() || random.nextInt(100) < 2) {
                sessions.add((long) sessions.size() + 1); // ids are assigned in order, one per distinct open
                replayable.add(i);
                steps.add(new Step(LockCommand.openSession(nextInvocation++, "node-" + sessions.size()), -1));
                continue;
            }
            // recent sessions are busy, old ones are usually expired
            long session = sessions.get(Math.max(0, sessions.size() - 1 - random.nextInt(Math.min(4, sessions.size()))));
            long thread = random.nextInt(3);
            long invocation = nextInvocation++;
            String mutex = MUTEXES[random.nextInt(MUTEXES.length)];
            String rw = RW_LOCKS[random.nextInt(RW_LOCKS.length)];
            int limit = 1 + random.nextInt(2);
            boolean wait = random.nextInt(4) != 0;
            int op = random.nextInt(100);
            byte[] command;
            if (op < 22) {
                command = LockCommand.lock(session, invocation, mutex, thread, limit, wait);
            } else if (op < 32) {
                command = LockCommand.readLock(session, invocation, rw, thread, limit, wait);
            } else if (op < 40) {
                command = LockCommand.writeLock(session, invocation, rw, thread, limit, wait);
            } else if (op < 58) {
                command = LockCommand.unlock(session, invocation, mutex, thread);
            } else if (op < 64) {
                command = LockCommand.readUnlock(session, invocation, rw, thread);
            } else if (op < 70) {
                command = LockCommand.writeUnlock(session, invocation, rw, thread);
            } else if (op < 75) {
                boolean readWrite = random.nextBoolean();
                command = LockCommand.cancelWait(session, invocation, readWrite, readWrite ? rw : mutex, thread);
            } else if (op < 80) {
                command = LockCommand.poll(session, invocation, random.nextInt(3) == 0 ? 0 : Long.MAX_VALUE);
            } else if (op < 91) {
                command = LockCommand.heartbeat(session, invocation);
            } else if (op < 94) {
                command = LockCommand.expire(now, SESSION_TIMEOUT);
                steps.add(new Step(command, -1));
                continue;
            } else if (op < 95) {
                command = LockCommand.closeSession(session, invocation);
            } else if (op < 96) {
                command = LockCommand.locks();
                steps.add(new Step(command, -1));
                continue;
            } else {
                if (!replayable.isEmpty()) {
                    int index = replayable.get(Math.max(0, replayable.size() - 1 - random.nextInt(8)));
                    steps.add(new Step(steps.get(index).command(), index));
                    continue;
                }
                command = LockCommand.poll(session, invocation, Long.MAX_VALUE);
            }
            LockCommand.Type type = LockCommand.Type.values()[command[0]];
            if (type != LockCommand.Type.POLL && type != LockCommand.Type.HEARTBEAT && type != LockCommand.Type.CLOSE_SESSION) {
                replayable.add(i); // commands that are deduplicated (the others are simply idempotent)
            }
            steps.add(new Step(command, -1));
        }
        return steps;
    }

    private static boolean perThread(LockCommand.Type type) {
        return switch (type) {
            case LOCK, UNLOCK, READ_LOCK, READ_UNLOCK, WRITE_LOCK, WRITE_UNLOCK, CANCEL_WAIT -> true;
            default -> false;
        };
    }

    @Test
    void replicasFedTheSameCommandsProduceIdenticalResultsAndSnapshots() {
        List<Step> steps = randomSteps(20261121L, 20_000);
        LockStateMachine first = new LockStateMachine();
        LockStateMachine second = new LockStateMachine();
        LockStateMachine restored = null;
        for (int i = 0; i < steps.size(); i++) {
            byte[] command = steps.get(i).command();
            byte[] result = first.apply(command);
            assertArrayEquals(result, second.apply(command), "result of step " + i);
            if (restored != null) {
                assertArrayEquals(result, restored.apply(command), "restored replica, step " + i);
            }
            if (i % 1_000 == 999) {
                byte[] snapshot = first.snapshot();
                assertArrayEquals(snapshot, second.snapshot(), "snapshot after step " + i);
                if (restored != null) {
                    assertArrayEquals(snapshot, restored.snapshot(), "restored snapshot after step " + i);
                }
                if (i == 9_999) {
                    restored = LockStateMachine.restore(snapshot);
                    assertArrayEquals(snapshot, restored.snapshot());
                }
            }
        }
        assertTrue(first.snapshot().length > 100);
    }

    @Test
    void aLongRandomHistoryNeverHasTwoOwnersAndFencesOnlyIncreaseInGrantOrder() {
        for (long seed = 1; seed <= 5; seed++) {
            checkInvariants(seed, 40_000);
        }
    }

    private static void checkInvariants(long seed, int count) {
        List<Step> steps = randomSteps(seed, count);
        LockStateMachine sm = new LockStateMachine();
        byte[][] results = new byte[count][];
        Map<String, Long> fences = new HashMap<>();
        // the fence the LOCKS view shows: a lock's last write grant while it is in use, forgotten once it is removed
        Map<String, Long> viewFences = new HashMap<>();
        long lastOfAny = 0; // fences come from one counter, so each new one is above every fence of any lock
        int removals = 0;
        Map<Kind, Integer> seen = new EnumMap<>(Kind.class);
        Model model = new Model();
        int grantsToWaiters = 0;
        for (int i = 0; i < count; i++) {
            Step step = steps.get(i);
            results[i] = sm.apply(step.command());
            LockResult r = LockResult.decode(results[i]);
            seen.merge(r.kind(), 1, Integer::sum);
            String where = "seed " + seed + ", step " + i + ": ";
            if (step.replayOf() >= 0) {
                boolean stale = r.kind() == Kind.ERROR && r.error() == LockResult.Error.STALE_INVOCATION;
                if (stale) {
                    // allowed only when the same owner has had a later command applied since
                    LockCommand original = LockCommand.decode(step.command());
                    boolean later = false;
                    for (int k = step.replayOf() + 1; k < i && !later; k++) {
                        if (steps.get(k).replayOf() < 0) {
                            LockCommand other = LockCommand.decode(steps.get(k).command());
                            later = other.session() == original.session() && other.thread() == original.thread()
                                    && other.invocation() > original.invocation() && perThread(other.type());
                        }
                    }
                    assertTrue(later, where + "a retry refused as stale although its owner sent nothing later");
                } else if (r.kind() != Kind.SESSION_EXPIRED) {
                    assertArrayEquals(results[step.replayOf()], results[i], where + "a retry answers the first result");
                }
                continue;
            }
            LockCommand c = LockCommand.decode(step.command());
            String key = (c.readWrite() ? "rw:" : "m:") + c.name();
            Owner self = new Owner(c.session(), c.thread());
            boolean exclusive = c.type() == LockCommand.Type.LOCK || c.type() == LockCommand.Type.WRITE_LOCK;
            if (exclusive && r.kind() == Kind.GRANTED) {
                long last = fences.getOrDefault(key, 0L);
                if (r.holds() == 1) {
                    assertTrue(r.fence() > last, where + "fence " + r.fence() + " after " + last + " for " + key);
                    fences.put(key, r.fence());
                    viewFences.put(key, r.fence());
                    assertTrue(r.fence() > lastOfAny, where + "fence " + r.fence() + " after " + lastOfAny + " of any lock");
                    lastOfAny = r.fence();
                    model.grantWrite(where, key, self);
                } else {
                    assertEquals(last, r.fence(), where + "a re-entrant grant keeps the fence of " + key);
                }
            } else if (c.type() == LockCommand.Type.READ_LOCK && r.kind() == Kind.GRANTED && r.holds() == 1) {
                model.grantRead(where, key, self);
            } else if (r.kind() == Kind.RELEASED && r.holds() == 0) {
                model.release(key, self, c.type() == LockCommand.Type.READ_UNLOCK);
            } else if (r.kind() == Kind.EXPIRED) {
                r.sessions().forEach(model::end);
            } else if (c.type() == LockCommand.Type.CLOSE_SESSION) {
                model.end(c.session());
            }
            for (Grant g : sm.lastGrants()) {
                String granted = (g.readWrite() ? "rw:" : "m:") + g.lock();
                Owner owner = new Owner(g.session(), g.thread());
                if (g.write()) {
                    long last = fences.getOrDefault(granted, 0L);
                    assertTrue(g.fence() > last, where + "granted fence " + g.fence() + " after " + last);
                    fences.put(granted, g.fence());
                    viewFences.put(granted, g.fence());
                    assertTrue(g.fence() > lastOfAny, where + "fence " + g.fence() + " after " + lastOfAny + " of any lock");
                    lastOfAny = g.fence();
                    model.grantWrite(where, granted, owner);
                    grantsToWaiters++;
                } else {
                    model.grantRead(where, granted, owner);
                }
            }
            List<LockInfo> inUse = LockResult.decode(sm.apply(LockCommand.locks())).locks();
            List<String> names = new ArrayList<>();
            for (LockInfo lock : inUse) {
                String name = (lock.readWrite() ? "rw:" : "m:") + lock.name();
                names.add(name);
                assertTrue(!lock.holders().isEmpty() || !lock.waiters().isEmpty(), where + name + " is kept unused");
                assertEquals(viewFences.getOrDefault(name, 0L), lock.fence(), where + "the view's fence of " + name);
                List<Owner> holders = new ArrayList<>();
                for (Holder h : lock.holders()) {
                    holders.add(new Owner(h.session(), h.thread()));
                }
                assertEquals(model.holders(name), holders, where + "holders of " + name);
            }
            removals += viewFences.keySet().retainAll(names) ? 1 : 0;
            for (String lock : List.of("m:m0", "m:m1", "m:m2", "rw:rw0", "rw:rw1")) {
                if (!names.contains(lock)) {
                    assertEquals(List.of(), model.holders(lock), where + lock + " was removed while held");
                }
            }
        }
        // the history must have exercised what it checks
        assertTrue(grantsToWaiters > 100, "grants to waiters: " + grantsToWaiters);
        assertTrue(removals > 100, "locks removed and created again: " + removals);
        for (Kind kind : List.of(Kind.GRANTED, Kind.WAITING, Kind.RELEASED, Kind.DEADLOCK, Kind.EXPIRED,
                Kind.CANCELLED, Kind.NOT_ACQUIRED)) {
            assertTrue(seen.getOrDefault(kind, 0) > 10, "seed " + seed + " saw " + seen);
        }
        // and a restored copy agrees with the original
        assertArrayEquals(sm.snapshot(), LockStateMachine.restore(sm.snapshot()).snapshot());
    }
}
