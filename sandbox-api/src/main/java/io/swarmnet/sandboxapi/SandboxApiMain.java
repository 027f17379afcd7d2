package io.swarmnet.sandboxapi;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the embedded API on its own, for trying it with kubectl:
 * {@code java -cp ... io.swarmnet.sandboxapi.SandboxApiMain [--port N] [--crds DIR] [--kubeconfig FILE] [--no-validation]}.
 * Prints the URL and the kubeconfig path, then serves until the process is stopped.
 */
public final class SandboxApiMain {

    private SandboxApiMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        SandboxApiOptions options = SandboxApiOptions.defaults();
        Path kubeconfig = Path.of("sandbox-api.kubeconfig");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> options = options.withPort(Integer.parseInt(args[++i]));
                case "--crds" -> options = options.withCrdDirectory(Path.of(args[++i]));
                case "--kubeconfig" -> kubeconfig = Path.of(args[++i]);
                case "--no-validation" -> options = options.withValidation(false);
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "; usage: SandboxApiMain [--port N] [--crds DIR] [--kubeconfig FILE] [--no-validation]");
                    System.exit(2);
                }
            }
        }
        SandboxApiServer api = SandboxApiServer.start(options);
        Path written = api.writeKubeconfig(kubeconfig);
        System.out.println("sandbox API at " + api.url() + ", kubeconfig " + written.toAbsolutePath());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            api.close();
            stopped.countDown();
        }));
        stopped.await();
    }
}
