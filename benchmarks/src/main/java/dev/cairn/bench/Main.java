package dev.cairn.bench;

import java.util.Arrays;

/**
 * {@code java -jar cairn-benchmarks.jar side-by-side [options]} runs the comparison;
 * {@code ... node --system hazelcast|infinispan ...} is one peer node (the driver starts these).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "side-by-side" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        int code = switch (command) {
            case "node" -> PeerNode.run(rest);
            case "side-by-side" -> SideBySide.run(rest);
            default -> {
                System.err.println("usage: side-by-side [--quick] [options] | node --system hazelcast|infinispan ...");
                yield 2;
            }
        };
        System.exit(code);
    }
}
