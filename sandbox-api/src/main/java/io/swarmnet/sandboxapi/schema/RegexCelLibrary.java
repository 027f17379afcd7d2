package io.swarmnet.sandboxapi.schema;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import java.util.ArrayList;
import java.util.List;

/**
 * Kubernetes' CEL regex library (k8s.io/apiserver/pkg/cel/library/regex.go), RE2 like the server:
 * {@code 'abc 123'.find('[0-9]+')} is the first match or "", {@code findAll(re)} and
 * {@code findAll(re, limit)} list the matches.
 */
final class RegexCelLibrary {

    private RegexCelLibrary() {
    }

    static List<CelFunctionDecl> declarations() {
        return List.of(
                CelFunctionDecl.newFunctionDeclaration("find",
                        CelOverloadDecl.newMemberOverload("k8s_string_find_string", SimpleType.STRING,
                                SimpleType.STRING, SimpleType.STRING)),
                CelFunctionDecl.newFunctionDeclaration("findAll",
                        CelOverloadDecl.newMemberOverload("k8s_string_find_all_string", ListType.create(SimpleType.STRING),
                                SimpleType.STRING, SimpleType.STRING),
                        CelOverloadDecl.newMemberOverload("k8s_string_find_all_string_int", ListType.create(SimpleType.STRING),
                                SimpleType.STRING, SimpleType.STRING, SimpleType.INT)));
    }

    static List<CelFunctionBinding> bindings() {
        return List.of(
                CelFunctionBinding.from("k8s_string_find_string", String.class, String.class, (text, regex) -> {
                    Matcher matcher = compile(regex).matcher(text);
                    return matcher.find() ? matcher.group() : "";
                }),
                CelFunctionBinding.from("k8s_string_find_all_string", String.class, String.class,
                        (text, regex) -> findAll(text, regex, -1)),
                CelFunctionBinding.from("k8s_string_find_all_string_int", List.of(String.class, String.class, Long.class),
                        args -> findAll((String) args[0], (String) args[1], (Long) args[2])));
    }

    private static List<String> findAll(String text, String regex, long limit) throws CelEvaluationException {
        List<String> matches = new ArrayList<>();
        Matcher matcher = compile(regex).matcher(text);
        while ((limit < 0 || matches.size() < limit) && matcher.find()) {
            matches.add(matcher.group());
        }
        return matches;
    }

    private static Pattern compile(String regex) throws CelEvaluationException {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new CelEvaluationException("invalid regular expression " + FieldError.quote(regex) + ": " + e.getMessage());
        }
    }
}
