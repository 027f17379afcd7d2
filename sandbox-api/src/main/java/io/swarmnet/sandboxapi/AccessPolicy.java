package io.swarmnet.sandboxapi;

/**
 * How the sandbox answers a {@code SelfSubjectAccessReview} ("may I do this?"). The sandbox
 * authenticates no one and enforces nothing — every request is served — so a policy only shapes
 * that answer: a test denies a permission to see what a program does when its RBAC lacks it.
 */
@FunctionalInterface
public interface AccessPolicy {

    /** What the sandbox answers by default: everything allowed, as everything is served. */
    AccessPolicy ALLOW_ALL = request -> true;

    boolean allows(Request request);

    /**
     * A review's {@code spec.resourceAttributes}; absent attributes are empty strings, as the API
     * server reads them: {@code namespace} "" means all namespaces (or a cluster-scoped resource),
     * {@code name} "" any object, {@code group} "" the core group.
     */
    record Request(String verb, String group, String resource, String subresource, String namespace, String name) {
    }
}
