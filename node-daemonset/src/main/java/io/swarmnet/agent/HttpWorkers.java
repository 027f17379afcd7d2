package io.swarmnet.agent;

import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.net.http.HttpClient;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent's HTTP client factory: fabric8's JDK client, whose worker threads (the JDK client's executor, which completes
 * responses) end after {@link #IDLE_SECONDS} s without work instead of 60 s. A round that publishes a node's conditions
 * starts a dozen or more of them; idle, they only hold their stacks.
 */
final class HttpWorkers extends JdkHttpClientFactory {

    static final long IDLE_SECONDS = 2;
    private static final AtomicInteger POOLS = new AtomicInteger();

    @Override
    protected void additionalConfig(HttpClient.Builder builder) {
        int pool = POOLS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        // unbounded as fabric8's own pool is (a bound could starve a callback waiting for another response); daemon
        // threads, so that a client nobody closes does not keep the process alive either
        builder.executor(new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "swarmnet-http-" + pool + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        }));
    }
}
