package io.swarmnet.system.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** `helm lint --strict` and the values schema, through the real helm binary. */
class ChartLintTest {

    private static Helm helm;
    private static RepositoryLayout repo;

    @BeforeAll
    static void findHelm() {
        helm = Helm.installed().orElse(null);
        assumeTrue(helm != null, Helm.MISSING);
        repo = RepositoryLayout.find();
    }

    @Test
    void lintsCleanlyWithStrictChecksAndDefaultValues() {
        HostCommand.Result lint = helm.run("lint", "--strict", repo.chart().toString());
        assertThat(lint.output()).contains("1 chart(s) linted, 0 chart(s) failed");
        assertThat(lint.stdout()).doesNotContain("[WARNING]", "[ERROR]");
    }

    @Test
    void lintsCleanlyWithStrictChecksAndEverySettingChanged() throws IOException {
        Path values = Files.createTempFile("swarmnet-values", ".yaml");
        try {
            Files.writeString(values, NonDefaultValues.YAML);
            HostCommand.Result lint = helm.run("lint", "--strict", repo.chart().toString(), "-f", values.toString());
            assertThat(lint.output()).contains("1 chart(s) linted, 0 chart(s) failed");
            assertThat(lint.stdout()).doesNotContain("[WARNING]", "[ERROR]");
        } finally {
            Files.deleteIfExists(values);
        }
    }

    @ParameterizedTest(name = "--set {0}")
    @CsvSource(delimiter = '|', value = {
            "logLevel=LOUD                               | /logLevel",
            "network.addressPools[0]=10.0.0/8            | /network/addressPools/0",
            "network.excludedCidrs[0]=10.96.0.0/33       | /network/excludedCidrs/0",
            "network.poolSubnetSize=30                   | /network/poolSubnetSize",
            "encryption.keyRotationInterval=soon         | /encryption/keyRotationInterval",
            "image.pullPolicy=Sometimes                  | /image/pullPolicy",
            "agent.privileged=maybe                      | /agent/privileged",
            "agent.nodeSelector.kubernetes\\.io/os=windows | /agent/nodeSelector/kubernetes.io~1os",
            "operator.nodeSelector.kubernetes\\.io/os=windows | /operator/nodeSelector/kubernetes.io~1os",
            "operator.httpPort=70000                     | /operator/httpPort",
            "operator.replica=3                          | replica",
    })
    void refusesValuesTheSchemaForbidsNamingTheField(String setting, String field) {
        HostCommand.Result template = helm.run("template", RenderedChart.RELEASE, repo.chart().toString(), "--set", setting);
        assertThat(template.succeeded()).as("helm template --set %s should fail", setting).isFalse();
        assertThat(template.stderr()).contains(field);
    }

    @Test
    void agentPrivilegedIsRefusedWithWhatToDoWhateverItsValue() throws IOException {
        for (String value : List.of("true", "false")) {
            HostCommand.Result template = helm.run("template", RenderedChart.RELEASE, repo.chart().toString(), "--set", "agent.privileged=" + value);
            assertThat(template.succeeded()).as("agent.privileged=%s", value).isFalse();
            assertThat(template.stderr()).contains("/agent/privileged", "the agent always runs privileged",
                    "delete agent.privileged from your values");
        }
        // the message itself is no way through either
        String removed = new ObjectMapper().readTree(repo.chart().resolve("values.schema.json").toFile())
                .at("/properties/agent/properties/privileged/const").asText();
        HostCommand.Result message = helm.run("template", RenderedChart.RELEASE, repo.chart().toString(), "--set-string",
                "agent.privileged=" + removed);
        assertThat(message.succeeded()).as(message.toString()).isFalse();
        assertThat(message.stderr()).contains("/agent/privileged");
    }
}
