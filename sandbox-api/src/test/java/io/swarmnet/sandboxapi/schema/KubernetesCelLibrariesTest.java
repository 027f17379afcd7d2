package io.swarmnet.sandboxapi.schema;

import static io.swarmnet.sandboxapi.schema.CelRuleProbe.holds;
import static io.swarmnet.sandboxapi.schema.CelRuleProbe.outcome;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.swarmnet.sandboxapi.KubernetesVersion;
import org.junit.jupiter.api.Test;

/** Kubernetes' lists, regex and format CEL libraries and the environment options Kubernetes sets. */
class KubernetesCelLibrariesTest {

    private static final KubernetesVersion FORMAT_ACCEPTED = new KubernetesVersion(1, 32);

    @Test
    void lists() {
        assertThat(holds("[1, 2, 2, 5].isSorted() && !['b', 'a'].isSorted()")).isTrue();
        assertThat(holds("[1, 2, 3].sum() == 6 && [0.5, 0.25].sum() == 0.75 && [].sum() == 0")).isTrue();
        assertThat(holds("[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3 && ['b', 'c', 'a'].max() == 'c'")).isTrue();
        assertThat(holds("['a', 'b', 'a'].indexOf('a') == 0 && ['a', 'b', 'a'].lastIndexOf('a') == 2 && [1].indexOf(7) == -1")).isTrue();
        assertThat(outcome("[].min() == 0")).isEqualTo(
                "spec: Invalid value: \"object\": min called on empty list evaluating rule: [].min() == 0");
    }

    @Test
    void regex() {
        assertThat(holds("'abc 123'.find('[0-9]+') == '123' && 'abc'.find('[0-9]+') == ''")).isTrue();
        assertThat(holds("'1 a 22 b 333'.findAll('[0-9]+') == ['1', '22', '333']")).isTrue();
        assertThat(holds("'1 a 22 b 333'.findAll('[0-9]+', 2) == ['1', '22']")).isTrue();
    }

    @Test
    void matchesFindsAnywhereLikeCelGo() {
        assertThat(holds("'my-network'.matches('net')")).isTrue();
        assertThat(holds("!'my-network'.matches('^net')")).isTrue();
    }

    @Test
    void intsAndDoublesCompare() {
        assertThat(holds("1 < 1.5 && 2.5 >= 2")).isTrue();
    }

    @Test
    void stringsAndSetsExtensions() {
        assertThat(holds("'A,b'.lowerAscii().split(',') == ['a', 'b'] && sets.contains([1, 2, 3], [2])")).isTrue();
    }

    /** The format library is accepted in CRD rules from 1.32 on (introduced in 1.31): its checks, as such a server makes them. */
    @Test
    void formatAcceptsAndExplains() {
        assertThat(holds("!format.dns1123Label().validate('my-network').hasValue()", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("format.dns1123Label().validate('my.network').value() == ['must not contain dots']", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("format.dns1123Label().validate('My_Net').value() == ['a lowercase RFC 1123 label must consist"
                + " of lower case alphanumeric characters or \\'-\\', and must start and end with an alphanumeric character"
                + " (e.g. \\'my-name\\',  or \\'123-abc\\', regex used for validation is \\'[a-z0-9]([-a-z0-9]*[a-z0-9])?\\')']",
                FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("format.dns1123Label().validate('" + "a".repeat(64) + "').value()"
                + "[0] == 'must be no more than 63 characters'", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("!format.dns1123Subdomain().validate('web.example').hasValue()", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("format.dns1035Label().validate('1abc').hasValue()", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("!format.dns1123LabelPrefix().validate('my-web-').hasValue()", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("!format.qualifiedName().validate('swarmnet.io/service').hasValue()", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("format.qualifiedName().validate('a/b/c').hasValue()", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("!format.labelValue().validate('').hasValue() && format.labelValue().validate('-x').hasValue()",
                FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("format.date().validate('2021-02-30').hasValue()"
                + " && !format.datetime().validate('2021-01-01T00:00:00Z').hasValue()", FORMAT_ACCEPTED)).isTrue();
        assertThat(holds("format.named('dns1123Label').hasValue() && !format.named('nosuch').hasValue()", FORMAT_ACCEPTED)).isTrue();
    }

    @Test
    void celJavaExtrasThatKubernetesLacksAreNotAccepted() {
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("math.greatest(1, 2) == 2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compilation failed");
        assertThatThrownBy(() -> CelRuleProbe.crdWithRule("base64.encode(b'a') == 'YQ=='"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compilation failed");
    }
}
