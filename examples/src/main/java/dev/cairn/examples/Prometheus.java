package dev.cairn.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.HttpServer;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * A Prometheus scrape endpoint for a node's metrics (issue 15): Micrometer's Prometheus registry, given to the grid as
 * its meter registry, served as text at {@code /metrics} by the JDK's own HTTP server on the node's bind address. It
 * serves only what is scraped; nothing is pushed anywhere.
 */
final class Prometheus implements AutoCloseable {
    private final int port;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private HttpServer server;

    Prometheus(int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("--prometheus must be a port between 0 and 65535, was " + port);
        }
        this.port = port;
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Starts serving on {@code bindAddress}; returns the endpoint's address. */
    String start(String bindAddress) throws IOException {
        server = HttpServer.create(new InetSocketAddress(bindAddress, port), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return "http://" + bindAddress + ":" + server.getAddress().getPort() + "/metrics";
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
        registry.close();
    }
}
