package io.swarmnet.agent.encryption.userspace;

import io.swarmnet.agent.encryption.SecurityAssociation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Remembers, across restarts of the agent, how far each outbound SA's sequence numbers may have been used.
 * AES-GCM must never see one nonce twice under one key, and the nonce is the sequence number: a sender that
 * restarted at 1 with an unchanged key would repeat nonces (and its peer's replay window would drop it). So the
 * sender reserves blocks: before using numbers up to N it durably records N, and after a restart it continues
 * above the recorded value.
 *
 * <p>The same kind of store, {@link #windows()}, keeps the receiving side's newest authenticated sequence number
 * per inbound SA, so that a restarted receiver refuses what it had already accepted (see {@link ReplayWindow#above}).
 *
 * <p>One line per SA: {@code <source> <destination> <spi hex> <number>}, rewritten atomically (temporary file,
 * fsync, rename). Thread-safe.
 */
public final class SequenceStore {

    /** Numbers reserved per write: at 1 Gbit/s of full-size packets about 12 s of traffic. */
    public static final long BLOCK = 1L << 20;
    public static final long LAST_SEQUENCE = 0xFFFF_FFFFL;
    private static final String FILE = "esp-sequences";
    private static final String WINDOWS = "esp-windows";

    private final Path file;
    private final Map<String, Long> reserved = new TreeMap<>();

    private SequenceStore(Path file) {
        this.file = file;
    }

    /** Reads (or starts) the store in {@code directory}, which must survive agent restarts (and best node reboots). */
    public static SequenceStore open(Path directory) throws IOException {
        return open(directory, FILE);
    }

    /** The receiving side's store, beside this one: the newest authenticated sequence number per inbound SA. */
    public SequenceStore windows() throws IOException {
        return open(file.getParent(), WINDOWS);
    }

    private static SequenceStore open(Path directory, String name) throws IOException {
        Files.createDirectories(directory);
        SequenceStore store = new SequenceStore(directory.resolve(name));
        if (Files.exists(store.file)) {
            int number = 0;
            for (String line : Files.readAllLines(store.file, StandardCharsets.US_ASCII)) {
                number++;
                String[] fields = line.trim().split("\\s+");
                if (line.isBlank()) {
                    continue;
                }
                if (fields.length != 4) {
                    throw new IOException(store.file + " line " + number + ": expected '<source> <destination> <spi> <reserved>'; "
                            + "delete the file only together with a key rotation (its numbers protect against nonce reuse)");
                }
                try {
                    store.reserved.put(fields[0] + " " + fields[1] + " " + fields[2], Long.parseLong(fields[3]));
                } catch (NumberFormatException e) {
                    throw new IOException(store.file + " line " + number + ": '" + fields[3] + "' is not a sequence number", e);
                }
            }
        }
        return store;
    }

    /** The highest sequence number of {@code sa} that may already have been sent (0: none). */
    public synchronized long used(SecurityAssociation sa) {
        return reserved.getOrDefault(key(sa), 0L);
    }

    /**
     * Durably records that {@code sa} may use numbers up to {@code upTo} (capped at 2^32-1) and returns the cap;
     * returns only once the record is on disk.
     */
    public synchronized long reserve(SecurityAssociation sa, long upTo) throws IOException {
        long capped = Math.min(upTo, LAST_SEQUENCE);
        reserved.put(key(sa), capped);
        write();
        return capped;
    }

    /** Durably records several SAs' numbers with one write. */
    public synchronized void recordAll(Map<SecurityAssociation, Long> numbers) throws IOException {
        numbers.forEach((sa, number) -> reserved.put(key(sa), Math.min(number, LAST_SEQUENCE)));
        write();
    }

    /** Forgets SAs that are gone for good (their key generation was retired): keeps only {@code current}. */
    public synchronized void retain(Collection<SecurityAssociation> current) throws IOException {
        Set<String> keep = new HashSet<>();
        current.forEach(sa -> keep.add(key(sa)));
        if (reserved.keySet().retainAll(keep)) {
            write();
        }
    }

    private void write() throws IOException {
        StringBuilder text = new StringBuilder();
        reserved.forEach((k, v) -> text.append(k).append(' ').append(v).append('\n'));
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII)));
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    private static String key(SecurityAssociation sa) {
        return sa.source() + " " + sa.destination() + " " + sa.spiHex();
    }
}
