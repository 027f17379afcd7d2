package io.swarmnet.operator.startup;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.swarmnet.api.SchemaRevision;
import io.swarmnet.api.network.OverlayNetwork;
import io.swarmnet.operator.OperatorConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the operator checks before leader election and before any reconciler: that its ServiceAccount
 * holds every {@link RequiredPermissions} (asked with SelfSubjectAccessReviews, which every
 * authenticated user may create) and that both CRDs are installed at {@link SchemaRevision#CURRENT}
 * or newer. Either missing, it refuses with one message naming everything wrong — rather than
 * failing later on a forbidden request, or writing fields an old schema prunes.
 */
public final class StartupCheck {

    private static final Logger LOG = LoggerFactory.getLogger(StartupCheck.class);

    private StartupCheck() {
    }

    /** @throws StartupRefused naming every missing permission and every CRD problem */
    public static void verify(KubernetesClient client, OperatorConfig config) {
        List<Permission> needed = RequiredPermissions.of(config);
        List<Permission> denied = new ArrayList<>();
        for (Permission permission : needed) {
            if (!allowed(client, permission)) {
                denied.add(permission);
            }
        }
        List<String> problems = new ArrayList<>();
        if (!denied.isEmpty()) {
            problems.add("the operator's ServiceAccount lacks " + denied.size() + " permission" + (denied.size() == 1 ? "" : "s")
                    + ", which the chart's RBAC grants (install or upgrade the chart, or grant them to the ServiceAccount): "
                    + denied.stream().map(Permission::describe).collect(Collectors.joining("; ")));
        }
        String version = HasMetadata.getVersion(OverlayNetwork.class);
        for (String name : RequiredPermissions.crdNames()) {
            if (denied.stream().anyMatch(p -> p.resource().equals("customresourcedefinitions") && p.name().equals(name))) {
                continue;   // said above; the read would only be refused
            }
            new CrdRequirement(name, version, SchemaRevision.CURRENT).problemWith(crd(client, name)).ifPresent(problems::add);
        }
        if (!problems.isEmpty()) {
            throw new StartupRefused("the swarmnet operator cannot start:\n- " + String.join("\n- ", problems));
        }
        LOG.info("start-up checks passed: {} permissions granted, CRDs {} at schema revision {} or newer serving {}",
                needed.size(), RequiredPermissions.crdNames(), SchemaRevision.CURRENT, version);
    }

    private static boolean allowed(KubernetesClient client, Permission permission) {
        SelfSubjectAccessReview review = new SelfSubjectAccessReviewBuilder().withNewSpec().withNewResourceAttributes()
                .withVerb(permission.verb()).withGroup(permission.group()).withResource(permission.resource())
                .withSubresource(permission.subresource()).withNamespace(Optional.ofNullable(permission.namespace()).orElse(""))
                .withName(permission.name())
                .endResourceAttributes().endSpec().build();
        try {
            return Boolean.TRUE.equals(client.authorization().v1().selfSubjectAccessReview().create(review).getStatus().getAllowed());
        } catch (KubernetesClientException e) {
            throw new StartupRefused("the swarmnet operator cannot start: asking the API server at " + client.getMasterUrl()
                    + " whether it may " + permission.describe() + " failed: " + e.getMessage());
        }
    }

    private static CustomResourceDefinition crd(KubernetesClient client, String name) {
        try {
            return client.apiextensions().v1().customResourceDefinitions().withName(name).get();
        } catch (KubernetesClientException e) {
            throw new StartupRefused("the swarmnet operator cannot start: reading CustomResourceDefinition " + name
                    + " from the API server at " + client.getMasterUrl() + " failed: " + e.getMessage());
        }
    }
}
