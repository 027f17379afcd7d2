package io.swarmnet.operator.service;

import static io.swarmnet.operator.service.ServiceHealth.Blocker.invalidSpec;

import io.swarmnet.api.service.ServiceMode;
import io.swarmnet.api.service.SwarmService;
import io.swarmnet.api.service.SwarmServiceSpec;
import io.swarmnet.operator.service.template.TaskTemplates;
import java.util.Optional;

/** What is wrong with a SwarmService's spec that the CRD schema did not refuse. Pure. */
final class ServiceSpecCheck {

    private ServiceSpecCheck() {
    }

    /** The first problem of the spec, as an InvalidSpec blocker; null when there is none. */
    static ServiceHealth.Blocker problem(SwarmService service) {
        SwarmServiceSpec spec = service.getSpec();
        if (spec == null || spec.getTemplate() == null || spec.getTemplate().getSpec() == null
                || spec.getTemplate().getSpec().getContainers() == null || spec.getTemplate().getSpec().getContainers().isEmpty()) {
            return invalidSpec("spec.template.spec.containers is missing or empty; give the pod template at least one container");
        }
        if (spec.effectiveMode() == ServiceMode.REPLICATED && spec.effectiveReplicas() < 0) {
            return invalidSpec("spec.replicas is " + spec.getReplicas() + "; use 0 or more");
        }
        String publish = PublishedPorts.problem(spec);
        if (publish != null) {
            return invalidSpec(publish);
        }
        Optional<String> template = TaskTemplates.problem(service.getMetadata().getName(), spec.getTemplate().getSpec());
        if (template.isPresent()) {
            return invalidSpec(template.get());
        }
        try {
            UpdatePolicy.of(spec.getUpdateConfig());
            UpdatePolicy.ofRollback(spec.getRollbackConfig());
        } catch (IllegalArgumentException e) {
            return invalidSpec(e.getMessage());
        }
        return null;
    }
}
