package io.swarmnet.system.chart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The objects `helm template` rendered, typed by kind (unknown kinds stay generic). */
public record RenderedChart(String yaml, List<HasMetadata> objects) {

    public static final String RELEASE = "swarmnet";
    public static final String NAMESPACE = "swarmnet-system";

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    public RenderedChart {
        objects = List.copyOf(objects);
    }

    /** helm template of the chart as release {@value #RELEASE} in {@value #NAMESPACE}, with extra helm arguments (-f, --set). */
    public static RenderedChart render(Helm helm, RepositoryLayout repo, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("template", RELEASE, repo.chart().toString(), "--namespace", NAMESPACE));
        args.addAll(List.of(extraArgs));
        return parse(helm.run(args).output());
    }

    /** Renders with the given values file content. */
    public static RenderedChart renderWithValues(Helm helm, RepositoryLayout repo, String valuesYaml) {
        try {
            Path values = Files.createTempFile("swarmnet-values", ".yaml");
            try {
                Files.writeString(values, valuesYaml);
                return render(helm, repo, "-f", values.toString());
            } finally {
                Files.deleteIfExists(values);
            }
        } catch (IOException e) {
            throw new AssertionError("could not write a values file: " + e.getMessage(), e);
        }
    }

    public static RenderedChart parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isNull() || doc.isEmpty()) {
                    continue;
                }
                objects.add(SERIALIZATION.convertValue(doc, HasMetadata.class));
            }
        } catch (IOException e) {
            throw new AssertionError("helm template printed YAML that does not parse: " + e.getMessage() + "\n" + yaml, e);
        }
        return new RenderedChart(yaml, objects);
    }

    public <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    public <T extends HasMetadata> T one(Class<T> type, String name) {
        List<T> found = all(type).stream().filter(o -> name.equals(o.getMetadata().getName())).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type.getSimpleName() + " named " + name + ", found " + found.size()
                    + " among " + objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList());
        }
        return found.get(0);
    }

    public List<GenericKubernetesResource> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.getKind()))
                .map(o -> o instanceof GenericKubernetesResource g ? g : SERIALIZATION.convertValue(o, GenericKubernetesResource.class))
                .toList();
    }
}
