package io.swarmnet.agent.dns;

import java.nio.file.Path;

/** One pod the resolver serves: where its network namespace is, and the names it resolves itself. */
public record PodResolver(Path networkNamespace, NameTable names) {
}
