import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

import java.util.concurrent.CountDownLatch;

/**
 * Starts mongo-java-server on the H2 backend, whose MVStore file keeps the data across restarts.
 * Usage: MongoWireServer <host> <port> <h2-file>. SIGTERM closes the store cleanly.
 */
public final class MongoWireServer {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: MongoWireServer <host> <port> <h2-file>");
            System.exit(2);
        }
        MongoServer server = new MongoServer(new H2Backend(args[2]));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            System.out.println("mongo-wire: stopped");
            stopped.countDown();
        }, "mongo-wire-shutdown"));
        server.bind(args[0], Integer.parseInt(args[1]));
        System.out.printf("mongo-wire: listening on %s:%s, data in %s%n", args[0], args[1], args[2]);
        stopped.await();
    }
}
