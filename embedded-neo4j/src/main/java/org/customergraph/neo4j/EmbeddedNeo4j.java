package org.customergraph.neo4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Runs Neo4j Community embedded with only its Bolt connector, on a loopback address.
 *
 * <p>Meant for development, tests and benchmarks on a machine without a Neo4j server: the
 * Python side starts this process, waits until Bolt answers and stops it with SIGTERM, which
 * runs the shutdown hook and closes the store cleanly. Authentication is off, which is why the
 * connector refuses any address but loopback.
 *
 * <p>Arguments: {@code --home DIR --port N [--host 127.0.0.1] [--page-cache-mb N] [--bulk-load true]}.
 * With {@code --bulk-load true} the database checkpoints only after every 8 GiB of transaction
 * log instead of 250 MiB: a bulk load then writes its pages once, at the end, instead of
 * stalling on the disk while checkpoints flush them every few seconds. Recovery after a crash
 * would replay more log; the log itself, and so every committed transaction, is as durable.
 */
public final class EmbeddedNeo4j {

    private EmbeddedNeo4j() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        Path home = Path.of(require(options, "home")).toAbsolutePath();
        String host = options.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(require(options, "port"));
        long pageCacheMb = Long.parseLong(options.getOrDefault("page-cache-mb", "2048"));
        boolean bulkLoad = Boolean.parseBoolean(options.getOrDefault("bulk-load", "false"));

        if (!isLoopback(host)) {
            fail("refusing to listen on " + host + ": authentication is off, use a loopback address");
        }
        Files.createDirectories(home);

        DatabaseManagementService service = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                // Keep transaction logs small: this store is rebuilt from demo data, not backed up.
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "keep_none")
                .setConfig(
                        GraphDatabaseSettings.check_point_interval_volume,
                        bulkLoad ? ByteUnit.gibiBytes(8) : GraphDatabaseSettings.check_point_interval_volume.defaultValue())
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("embedded-neo4j: shutting down");
            service.shutdown();
            stopped.countDown();
        }, "embedded-neo4j-shutdown"));

        System.out.printf("embedded-neo4j: ready bolt://%s:%d home=%s%n", host, port, home);
        System.out.flush();
        stopped.await();
    }

    private static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || i + 1 >= args.length) {
                fail("bad argument: " + arg);
            }
            options.put(arg.substring(2), args[++i]);
        }
        return options;
    }

    private static String require(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null) {
            fail("missing --" + name);
        }
        return value;
    }

    private static void fail(String message) {
        System.err.println("embedded-neo4j: " + message);
        System.exit(2);
    }
}
