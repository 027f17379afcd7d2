package io.swarmnet.agent.datapath;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libnftables, the library the {@code nft} program is a thin front end of, bound with JNA's direct mapping. Only
 * the handful of calls a session needs: a context, its output and error buffers, and running a command file.
 */
final class LibNftables {

    private static final Logger LOG = LoggerFactory.getLogger(LibNftables.class);
    // the runtime package's name (Debian, Ubuntu): no development symlink libnftables.so is needed
    static final String LIBRARY = "libnftables.so.1";
    /** {@code NFT_CTX_OUTPUT_JSON}: what {@code nft -j} sets. */
    static final int OUTPUT_JSON = 1 << 4;
    /**
     * Held by every command that prints JSON, in whichever session: libnftables 1.0.6 (Debian 12) cuts a set's type into
     * its parts with strtok(3), whose state is the process's, so two contexts printing at once on two threads garble each
     * other's types ({@code ["ipv4_addr", "inet_proto"]} for a three-part key) or abort the process in a JSON assertion.
     */
    static final Object JSON_OUTPUT = new Object();

    private static final String UNAVAILABLE = load();

    private LibNftables() {
    }

    private static String load() {
        try {
            Native.register(LibNftables.class, NativeLibrary.getInstance(LIBRARY));
            return null;
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            LOG.warn("{} cannot be loaded ({}): nftables is programmed by starting nft for every change instead", LIBRARY,
                    e.getMessage());
            return e.getMessage();
        }
    }

    /** True when the library loaded; the warning saying it did not is logged once, at the first call. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    static native Pointer nft_ctx_new(int flags);

    static native void nft_ctx_free(Pointer ctx);

    static native int nft_ctx_buffer_output(Pointer ctx);

    static native int nft_ctx_buffer_error(Pointer ctx);

    static native Pointer nft_ctx_get_output_buffer(Pointer ctx);

    static native Pointer nft_ctx_get_error_buffer(Pointer ctx);

    static native void nft_ctx_output_set_flags(Pointer ctx, int flags);

    static native int nft_run_cmd_from_filename(Pointer ctx, String filename);

    static native int nft_run_cmd_from_buffer(Pointer ctx, String buffer);

    /** Reading a buffer also rewinds it for the next command, so both are read after every run. */
    static String output(Pointer ctx) {
        return text(nft_ctx_get_output_buffer(ctx));
    }

    static String errors(Pointer ctx) {
        return text(nft_ctx_get_error_buffer(ctx));
    }

    private static String text(Pointer buffer) {
        return buffer == null ? "" : buffer.getString(0, StandardCharsets.UTF_8.name());
    }
}
