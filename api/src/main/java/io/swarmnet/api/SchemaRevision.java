package io.swarmnet.api;

import io.swarmnet.api.contract.SwarmnetKeys;

/**
 * The revision of the CRD schemas generated from this module, written into both CRDs as the
 * annotation {@link #ANNOTATION}. The operator refuses to start against CRDs of an older revision:
 * {@code helm upgrade} leaves CRDs as they were, and an operator writing fields an old schema does
 * not know would have them silently pruned.
 * <p>
 * Bump {@link #CURRENT} with every change of a generated schema; GeneratedCrdsTest fingerprints
 * each CRD's spec per revision and fails, naming this constant, when a schema changed and the
 * revision did not.
 */
public final class SchemaRevision {

    /** The revision of the CRDs in crds/ and charts/swarmnet/crds/, and the one the operator needs. */
    public static final int CURRENT = 6;

    /** The CRD annotation carrying the revision, as a decimal string. */
    public static final String ANNOTATION = SwarmnetKeys.GROUP + "/schema-revision";

    private SchemaRevision() {
    }
}
