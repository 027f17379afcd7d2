package io.swarmnet.sandboxapi;

import io.swarmnet.sandboxapi.store.AdmissionControl;
import java.nio.file.Path;

/**
 * How to start the embedded API.
 *
 * @param port         TCP port on 127.0.0.1; 0 picks a free one
 * @param crdDirectory directory whose *.yaml CRDs are installed at start; null finds the repository's
 *                     {@code crds/} by walking up from the working directory (none installed if not found)
 * @param validation   admit custom resources through their CRD's schema and CEL rules (defaults too)
 * @param webhook      runs after the built-in admission on every create and update, as a validating
 *                     admission webhook would: it may refuse with an {@link ApiError}
 * @param access       the answer to SelfSubjectAccessReviews (nothing is enforced either way)
 */
public record SandboxApiOptions(int port, Path crdDirectory, boolean validation, AdmissionControl webhook, AccessPolicy access) {

    public static SandboxApiOptions defaults() {
        return new SandboxApiOptions(0, null, true, AdmissionControl.NONE, AccessPolicy.ALLOW_ALL);
    }

    public SandboxApiOptions withPort(int port) {
        return new SandboxApiOptions(port, crdDirectory, validation, webhook, access);
    }

    public SandboxApiOptions withCrdDirectory(Path crdDirectory) {
        return new SandboxApiOptions(port, crdDirectory, validation, webhook, access);
    }

    public SandboxApiOptions withValidation(boolean validation) {
        return new SandboxApiOptions(port, crdDirectory, validation, webhook, access);
    }

    public SandboxApiOptions withWebhook(AdmissionControl webhook) {
        return new SandboxApiOptions(port, crdDirectory, validation, webhook, access);
    }

    public SandboxApiOptions withAccessPolicy(AccessPolicy access) {
        return new SandboxApiOptions(port, crdDirectory, validation, webhook, access);
    }
}
