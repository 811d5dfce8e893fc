package dev.cairn.membership;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.NameCache;

/**
 * A protocol right above the transport that drops what this member receives from the named members and the unicasts
 * it sends them, so that a split can cut some links and keep others ({@link Faults#cutFrom}). Members are matched by
 * logical name, not address, so a named member that restarts stays cut off. A multicast this member sends still
 * leaves for everyone (the transport fans it out below this protocol): the named members drop it only if they run a
 * cut naming this member, which is why a split is cut on both of its sides.
 */
final class CutFrom extends Protocol {
    private final Set<String> names = ConcurrentHashMap.newKeySet();

    void add(java.util.Collection<String> more) {
        names.addAll(more);
    }

    Set<String> names() {
        return Set.copyOf(names);
    }

    private boolean cut(Address a) {
        return a != null && names.contains(NameCache.get(a));
    }

    @Override
    public Object down(Message msg) {
        return cut(msg.getDest()) ? null : down_prot.down(msg);
    }

    @Override
    public Object up(Message msg) {
        return cut(msg.getSrc()) ? null : up_prot.up(msg);
    }

    @Override
    public void up(MessageBatch batch) {
        if (!cut(batch.sender())) {
            up_prot.up(batch);
        }
    }
}
