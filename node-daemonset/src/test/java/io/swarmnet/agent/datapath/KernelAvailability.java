package io.swarmnet.agent.datapath;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.util.List;

/** Skips kernel tests, naming what is missing, on machines that cannot run them. */
public final class KernelAvailability {

    private KernelAvailability() {
    }

    public static void assumeKernelTestsCanRun(String... tools) {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "kernel datapath tests need root (network namespaces, veth, VXLAN, nftables); running as " + System.getProperty("user.name"));
        for (String tool : List.of(tools)) {
            assumeTrue(onPath(tool), "kernel datapath tests need '" + tool + "' on PATH");
        }
    }

    public static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (new File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }

    /** Closes what a kernel test opened (its tools, its namespaces), skipping what it never got to open. */
    public static void closeAll(AutoCloseable... opened) throws java.io.IOException {
        for (AutoCloseable c : opened) {
            if (c != null) {
                try {
                    c.close();
                } catch (java.io.IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new java.io.IOException(e);
                }
            }
        }
    }
}
