package dev.cairn.examples;

import java.util.Arrays;

/**
 * The examples jar's entry point: {@code java -jar examples/target/cairn-examples.jar <command> [options]}.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("chronicle.analytics.disable", "true"); // DESIGN.md decision 8, before any Chronicle class loads
        String command = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        int exit = switch (command) {
            case "node" -> NodeCommand.run(rest);
            case "demo" -> Demo.run(rest);
            case "bench-membership" -> MembershipBench.run(rest);
            case "bench-map" -> MapBench.run(rest);
            case "bench-locks" -> LockBench.run(rest);
            case "help", "-h", "--help" -> help(0);
            default -> {
                System.err.println("unknown command '" + command + "'");
                yield help(2);
            }
        };
        System.exit(exit);
    }

    private static int help(int exit) {
        System.out.println("""
                usage: java -jar cairn-examples.jar <command> [options]

                commands:
                  demo               3-node clusters as JVMs on 127.0.0.1, narrated: joins, a crash, a restart, the map,
                                     a deadlock refused, a paused leader fenced off
                  node               start one node with an interactive console (node --help for its options)
                  bench-membership   measure time to first view, crash detection and request round trips between JVMs
                  bench-map          measure map latency, throughput (8 threads, 90/10, 1 KB) and memory per entry
                                     [--rounds 3] [--seconds 15] [--keys 100000] [--bytes 1024] [--memory 1000000]
                  bench-locks        measure uncontended lock+unlock from a client, the leader and a follower (1 and 8
                                     threads) and deadlock detection time, on 4 JVMs [--rounds 3] [--seconds 10]
                """);
        return exit;
    }
}
