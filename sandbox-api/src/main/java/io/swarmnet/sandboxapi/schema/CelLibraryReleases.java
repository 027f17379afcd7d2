package io.swarmnet.sandboxapi.schema;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.navigation.CelNavigableExpr;
import io.swarmnet.sandboxapi.KubernetesVersion;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which Kubernetes release first accepts each CEL library in a CRD validation rule, and what this
 * module can evaluate.
 *
 * <p>Kubernetes lists its CEL libraries with the release that introduced them
 * (k8s.io/apiserver/pkg/cel/environment/base.go). An API server compiles a <em>new</em> rule with
 * the libraries of its minimum compatibility version, by default the release before its own, so
 * that a rollback by one release can still compile it: a library introduced in 1.N is accepted
 * in a CRD from 1.(N+1) on. IP and CIDR (introduced 1.30) from 1.31, format (1.31) from 1.32.
 *
 * <p>A library is recognised by the calls that stand on their own or produce its values
 * ({@code cidr(s)}, {@code format.dns1123Label()}, {@code semver(s)}); its member functions
 * ({@code containsIP}, {@code validate}, {@code compareTo}) need one of those first, and some of
 * their names are shared between libraries.
 */
final class CelLibraryReleases {

    /**
     * @param name        how a user would name it
     * @param introduced  the release base.go introduces it in; null when no release offers it to CRD rules
     * @param implemented whether the embedded API evaluates it
     * @param recognises  which parsed calls belong to it
     */
    record Library(String name, KubernetesVersion introduced, boolean implemented, Predicate<Call> recognises) {

        /** The first release whose API server accepts the library in a new CRD rule. */
        Optional<KubernetesVersion> acceptedFrom() {
            return Optional.ofNullable(introduced).map(v -> new KubernetesVersion(v.major(), v.minor() + 1));
        }

        boolean acceptedBy(KubernetesVersion server) {
            return introduced != null && !introduced.isAfter(server.previous());
        }
    }

    /**
     * One call in a parsed rule.
     *
     * @param function  the function's own name ({@code containsIP}, {@code dns1123Label})
     * @param namespace the dotted plain names it is called on ({@code format}, {@code sets}, also
     *                  {@code self.items}), else null
     * @param member    whether it is called on a receiver ({@code x.f()}), a namespace included
     * @param arguments how many arguments it is given
     */
    record Call(String function, String namespace, boolean member, int arguments) {

        /** {@code format.dns1123Label} or {@code cidr}. */
        String qualifiedName() {
            return namespace == null ? function : namespace + "." + function;
        }
    }

    private static final List<Library> LIBRARIES = List.of(
            new Library("Kubernetes' URL library", release(1, 0), false, named("url", "isURL")),
            // the optional field and index syntax (self.?x, m[?k]) parses into these two calls
            new Library("CEL optional types", release(1, 28), true,
                    named("optional.of", "optional.ofNonZeroValue", "optional.none", "_?._", "_[?_]")),
            new Library("Kubernetes' quantity library", release(1, 28), false, named("quantity", "isQuantity")),
            new Library("cel-go's sets extension", release(1, 29), true, named("sets.contains", "sets.equivalent", "sets.intersects")),
            new Library("Kubernetes' IP library", release(1, 30), true, named("ip", "isIP", "ip.isCanonical")),
            new Library("Kubernetes' CIDR library", release(1, 30), true, named("cidr", "isCIDR")),
            new Library("Kubernetes' format library", release(1, 31), true, call -> "format".equals(call.namespace())),
            new Library("cel-go's two-variable comprehensions", release(1, 32), false,
                    call -> call.member() && call.arguments() == 3 && Set.of("all", "exists", "existsOne", "exists_one").contains(call.function())
                            || call.member() && Set.of("transformList", "transformMap", "transformMapEntry").contains(call.function())),
            new Library("Kubernetes' semver library", release(1, 33), false, named("semver", "isSemver")),
            new Library("cel-go's lists extension", release(1, 34), false,
                    named("lists.range", "slice", "flatten", "sort", "sortBy", "reverse", "distinct")),
            new Library("Kubernetes' lists library, version 1", release(1, 37), false, named("includes")),
            new Library("cel-go's bindings extension", null, false, named("cel.bind")));

    private CelLibraryReleases() {
    }

    private static KubernetesVersion release(int major, int minor) {
        return new KubernetesVersion(major, minor);
    }

    /**
     * Dotted names match the call's qualified name ({@code sets.contains}); plain ones its function
     * name on any receiver ({@code cidr(s).ip()}, {@code self.items.sort()}).
     */
    private static Predicate<Call> named(String... names) {
        Set<String> all = Set.of(names);
        return call -> all.contains(call.function()) || all.contains(call.qualifiedName());
    }

    /** The calls a parsed (not yet checked) expression makes, macro expansions included. */
    static List<Call> calls(CelAbstractSyntaxTree parsed) {
        return CelNavigableAst.fromAst(parsed).getRoot().allNodes()
                .filter(node -> node.getKind() == CelExpr.ExprKind.Kind.CALL)
                .map(CelNavigableExpr::expr)
                .map(expr -> {
                    CelExpr.CelCall call = expr.call();
                    String namespace = call.target().map(CelLibraryReleases::dottedName).orElse(null);
                    return new Call(call.function(), namespace, call.target().isPresent(), call.args().size());
                })
                .toList();
    }

    /** {@code a.b} for the select chain {@code a.b} of plain names, else null (a receiver value). */
    private static String dottedName(CelExpr expr) {
        return switch (expr.getKind()) {
            case IDENT -> expr.ident().name();
            case SELECT -> {
                String operand = expr.select().testOnly() ? null : dottedName(expr.select().operand());
                yield operand == null ? null : operand + "." + expr.select().field();
            }
            default -> null;
        };
    }

    /** The library a call belongs to, when it is one of those listed. */
    static Optional<Library> libraryOf(Call call) {
        return LIBRARIES.stream().filter(library -> library.recognises().test(call)).findFirst();
    }

    /**
     * Why an API server of {@code server} refuses a CRD whose rule makes these calls, or empty
     * when every library they call is accepted there.
     */
    static Optional<String> refusal(List<Call> calls, KubernetesVersion server, String crd) {
        for (Call call : calls) {
            Optional<Library> library = libraryOf(call);
            if (library.isEmpty() || library.get().acceptedBy(server)) {
                continue;
            }
            String shown = call.qualifiedName() + "()";
            String release = "Kubernetes " + server + (server.equals(KubernetesVersion.OLDEST_SUPPORTED)
                    ? " (the oldest release swarmnet supports, which this embedded API behaves as)" : "");
            Optional<KubernetesVersion> from = library.get().acceptedFrom();
            if (from.isEmpty()) {
                return Optional.of("calls " + shown + " (" + library.get().name() + "), which no Kubernetes release offers"
                        + " to CRD validation rules: the API server of " + release + " refuses CRD " + crd
                        + " with this rule; write the rule without " + shown);
            }
            return Optional.of("calls " + shown + " (" + library.get().name() + "), which CRD validation rules may call"
                    + " from Kubernetes " + from.get() + " on (an API server compiles a new rule with the libraries of the"
                    + " release before its own): the API server of " + release + " refuses CRD " + crd + " with this rule;"
                    + " write the rule without " + shown + ", or raise the oldest supported release to " + from.get()
                    + " (KubernetesVersion.OLDEST_SUPPORTED and kubeVersion in charts/swarmnet/Chart.yaml)");
        }
        return Optional.empty();
    }

    /**
     * Why a rule that a cluster of {@code server} would accept cannot be checked here, when it calls a
     * library the embedded API does not implement (a rule that fails to compile for that reason).
     */
    static Optional<String> notImplemented(List<Call> calls, KubernetesVersion server, String crd) {
        return calls.stream()
                .flatMap(call -> libraryOf(call).filter(library -> !library.implemented() && library.acceptedBy(server))
                        .map(library -> "calls " + call.qualifiedName() + "() (" + library.name() + "), which Kubernetes "
                                + server + " accepts in CRD validation rules but the embedded API does not implement, so it"
                                + " cannot tell whether objects pass this rule; check CRD " + crd + " on a real cluster"
                                + " (./swarmnet cluster up), or start the embedded API with validation off"
                                + " (SandboxApiOptions.withValidation(false))")
                        .stream())
                .findFirst();
    }
}
