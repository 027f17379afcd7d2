package io.swarmnet.sandboxapi.schema;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.OptionalType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelFunctionBinding;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Kubernetes' CEL format library (k8s.io/apiserver/pkg/cel/library/format.go; introduced in 1.31,
 * so accepted in new CRD rules from 1.32 on, see {@link CelLibraryReleases}):
 * {@code format.dns1123Label().validate(self)} is {@code optional.none()} when the string fits the
 * format, else the list of problems; {@code format.named('dns1123Label')} looks a format up by name.
 */
final class FormatCelLibrary {

    static final OpaqueType FORMAT = OpaqueType.create("kubernetes.NamedFormat");

    /** A format value inside CEL. */
    record NamedFormat(String name, Function<String, List<String>> check) {
    }

    private FormatCelLibrary() {
    }

    static List<CelFunctionDecl> declarations() {
        List<CelFunctionDecl> out = new ArrayList<>();
        CelType problems = OptionalType.create(ListType.create(SimpleType.STRING));
        out.add(CelFunctionDecl.newFunctionDeclaration("validate",
                CelOverloadDecl.newMemberOverload("k8s_format_validate", problems, FORMAT, SimpleType.STRING)));
        out.add(CelFunctionDecl.newFunctionDeclaration("format.named",
                CelOverloadDecl.newGlobalOverload("k8s_format_named", OptionalType.create(FORMAT), SimpleType.STRING)));
        for (String name : NameFormats.BY_NAME.keySet()) {
            out.add(CelFunctionDecl.newFunctionDeclaration("format." + name,
                    CelOverloadDecl.newGlobalOverload("k8s_format_" + name, FORMAT, List.of())));
        }
        return out;
    }

    static List<CelFunctionBinding> bindings() {
        List<CelFunctionBinding> out = new ArrayList<>();
        out.add(CelFunctionBinding.from("k8s_format_validate", NamedFormat.class, String.class, (format, value) -> {
            List<String> found = format.check().apply(value);
            return found.isEmpty() ? Optional.empty() : Optional.of(List.copyOf(found));
        }));
        out.add(CelFunctionBinding.from("k8s_format_named", String.class,
                name -> Optional.ofNullable(NameFormats.BY_NAME.get(name)).map(check -> new NamedFormat(name, check))));
        NameFormats.BY_NAME.forEach((name, check) -> out.add(CelFunctionBinding.from("k8s_format_" + name, List.of(),
                args -> new NamedFormat(name, check))));
        return out;
    }
}
