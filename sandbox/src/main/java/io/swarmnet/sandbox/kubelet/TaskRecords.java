package io.swarmnet.sandbox.kubelet;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The tasks directory: one JSON file per running pod, written atomically, read by {@code sandbox exec}. */
public final class TaskRecords {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public TaskRecords(Path dir) {
        this.dir = dir;
    }

    public void put(TaskRecord record) {
        try {
            Files.createDirectories(dir);
            Path temporary = dir.resolve("." + record.fileName() + ".tmp");
            JSON.writeValue(temporary.toFile(), record);
            Files.move(temporary, dir.resolve(record.fileName()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the task record of pod " + record.namespace() + "/" + record.pod()
                    + " under " + dir, e);
        }
    }

    public void remove(String namespace, String pod) {
        try {
            Files.deleteIfExists(dir.resolve(namespace + "_" + pod + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<TaskRecord> all() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<TaskRecord> records = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                try {
                    records.add(JSON.readValue(file.toFile(), TaskRecord.class));
                } catch (IOException e) {
                    // removed between list and read: the pod just stopped
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }

    /**
     * Finds the task named {@code task}: a pod name, {@code <namespace>/<pod>}, or {@code <service>.<slot>}.
     * Returns the one match, or throws {@link IllegalArgumentException} with a one-line message.
     */
    public static TaskRecord find(String task, List<TaskRecord> records) {
        List<TaskRecord> matches = records.stream().filter(r -> task.equals(r.pod())
                || task.equals(r.namespace() + "/" + r.pod()) || task.equals(r.taskName())).toList();
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.isEmpty()) {
            List<String> known = records.stream().map(r -> r.taskName() != null ? r.taskName() : r.pod()).sorted().toList();
            throw new IllegalArgumentException("no running task named '" + task + "'"
                    + (known.isEmpty() ? " (no tasks run)" : "; running tasks: " + String.join(", ", known)));
        }
        throw new IllegalArgumentException("task name '" + task + "' matches pods in several namespaces ("
                + String.join(", ", matches.stream().map(r -> r.namespace() + "/" + r.pod()).toList())
                + "); use <namespace>/<pod>");
    }
}
