package dev.cairn.quickstart;

// README begin: embedding
import dev.cairn.grid.Grid;
import dev.cairn.grid.GridConfig;
import dev.cairn.grid.GridMap;

/** Two nodes on 127.0.0.1 form a cluster; one writes, the other reads. */
public final class QuickStart {
    public static void main(String[] args) {
        GridConfig.Builder config = GridConfig.builder()
                .clusterName("quickstart")
                .bindAddress("127.0.0.1")                       // every socket of a node binds here only
                .seeds("127.0.0.1:7800", "127.0.0.1:7801")
                .expectedMembers(2);                            // every bad setting is reported by build(), at once
        try (Grid a = Grid.start(config.nodeName("a").port(7800).build());   // returns once it has its first view
             Grid b = Grid.start(config.nodeName("b").port(7801).build())) {
            GridMap<String, String> orders = a.map("orders");
            orders.put("o-17", "2 espresso");                   // acknowledged once the backup has it
            String read = b.<String, String>map("orders").get("o-17");   // from the key's primary, wherever it is
            System.out.println("b read " + read + " in a cluster of " + b.members().size());
        }                                                       // both leave; nothing is left running
    }
}
// README end
