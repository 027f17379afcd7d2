package io.swarmnet.system.chart;

import io.swarmnet.sandboxapi.SandboxApiOptions;
import io.swarmnet.sandboxapi.SandboxApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The embedded API as a cluster the chart was never installed on: no CRDs (so whatever custom
 * resources it accepts were admitted by the CRDs a test applied), and a kubeconfig for helm and kubectl.
 */
record FreshCluster(SandboxApiServer api, Path kubeconfig) implements AutoCloseable {

    /** @param dir a directory of the test's own, for the empty CRD directory and the kubeconfig */
    static FreshCluster start(Path dir) throws IOException {
        Path noCrds = Files.createDirectory(dir.resolve("no-crds"));
        SandboxApiServer api = SandboxApiServer.start(SandboxApiOptions.defaults().withCrdDirectory(noCrds));
        return new FreshCluster(api, api.writeKubeconfig(dir.resolve("kubeconfig")));
    }

    @Override
    public void close() {
        api.close();
    }
}
