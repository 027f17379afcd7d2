package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The kubectl and helm every suite runs are the releases the repository's go.mod files pin, stamped as such. */
class PinnedToolTest {

    private final RepositoryLayout repo = RepositoryLayout.find();

    @Test
    void kubectlIsTheKubernetesReleaseTheLocalClusterIsBuiltFrom() throws IOException {
        Path kubectl = PinnedTool.find("kubectl").orElse(null);
        assumeTrue(kubectl != null, PinnedTool.missing("kubectl"));
        String pinned = requiredVersion(repo.root().resolve("cluster/go.mod"), "k8s.io/kubernetes");

        String json = HostCommand.run(Duration.ofSeconds(30), List.of(kubectl.toString(), "version", "--client", "-o", "json")).output();

        assertThat(new ObjectMapper().readTree(json).at("/clientVersion/gitVersion").asText()).isEqualTo(pinned);
    }

    @Test
    void helmIsTheReleaseItsModulePinsBuiltWithThatKubernetesClient() throws IOException {
        Helm helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        String pinned = requiredVersion(repo.root().resolve("cluster/helm/go.mod"), "helm.sh/helm/v4");
        String kubernetes = requiredVersion(repo.root().resolve("cluster/go.mod"), "k8s.io/kubernetes");

        String reported = helm.run("version", "--template", "{{.Version}} {{.KubeClientVersion}}").output();

        // helm's default capabilities (what `helm template` checks kubeVersion against) follow its client-go
        assertThat(reported).isEqualTo(pinned + " " + kubernetes.substring(0, kubernetes.lastIndexOf('.')));
    }

    private static String requiredVersion(Path goMod, String module) throws IOException {
        Matcher m = Pattern.compile("^\\s*(?:require\\s+)?" + Pattern.quote(module) + "\\s+(v\\S+)", Pattern.MULTILINE)
                .matcher(Files.readString(goMod));
        assertThat(m.find()).as("%s requires %s", goMod, module).isTrue();
        return m.group(1);
    }
}
