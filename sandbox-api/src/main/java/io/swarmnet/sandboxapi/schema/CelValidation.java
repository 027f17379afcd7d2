package io.swarmnet.sandboxapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelReference;
import dev.cel.common.types.CelType;
import dev.cel.common.types.OptionalType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.swarmnet.sandboxapi.KubernetesVersion;
import io.swarmnet.sandboxapi.schema.SchemaNode.ValidationRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles a schema's x-kubernetes-validations rules with cel-java once, and evaluates them on
 * admission as apiextensions-apiserver does: a rule sees its node's value as {@code self}; a rule
 * using {@code oldSelf} (a transition rule) runs only on update and only where an old value exists
 * (object properties correlate by name, list-type=map items by key, other list items never);
 * null values are not validated; a false result becomes a field error whose type follows
 * {@code reason} and whose path is the node's, extended by {@code fieldPath}.
 */
final class CelValidation {

    // As Kubernetes' CEL environment: int/double compare across types, matches() finds (RE2 partial match).
    private static final CelOptions OPTIONS = CelOptions.current()
            .enableOptionalSyntax(true)
            .populateMacroCalls(true)
            .enableHeterogeneousNumericComparisons(true)
            .enableRegexPartialMatch(true)
            .build();
    private static final Pattern CEL_LOCATION = Pattern.compile("^evaluation error at [^:]*:\\d+: ");
    private static final Pattern MISSING_KEY = Pattern.compile("key '(.*)' is not present in map\\.?");

    private record CompiledRule(ValidationRule rule, CelRuntime.Program program, CelRuntime.Program message,
                                boolean usesOldSelf) {
    }

    private final CelSchemaTypes types;
    private final Map<SchemaNode, List<CompiledRule>> rules;
    private final Map<SchemaNode, Boolean> rulesBelow = new IdentityHashMap<>();

    private CelValidation(CelSchemaTypes types, Map<SchemaNode, List<CompiledRule>> rules) {
        this.types = types;
        this.rules = rules;
    }

    /**
     * One runtime for every CRD: it needs the function implementations only, not the schema's types,
     * so it is built once (building a CEL environment is the slow part of loading a CRD).
     */
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(OPTIONS)
            .addLibraries(CelExtensions.strings(), CelExtensions.sets(OPTIONS), CelExtensions.optional())
            .addFunctionBindings(NetworkCelLibrary.bindings())
            .addFunctionBindings(ListsCelLibrary.bindings())
            .addFunctionBindings(RegexCelLibrary.bindings())
            .addFunctionBindings(FormatCelLibrary.bindings())
            .build();

    /**
     * @param server the release whose API server is modelled: a rule calling a library it does not
     *               accept yet is refused, naming the release that does ({@link CelLibraryReleases})
     * @param crd    the CRD's name, for messages
     * @throws IllegalArgumentException naming the rule and the compiler's complaint when a rule does not compile
     */
    static CelValidation compile(SchemaNode root, String where, KubernetesVersion server, String crd) {
        CelSchemaTypes types = new CelSchemaTypes(root);
        // Only what Kubernetes offers too, so a rule that compiles here compiles on a cluster:
        // cel-go's strings, sets and optional extensions and Kubernetes' own libraries. Not cel.bind:
        // Kubernetes leaves cel-go's bindings extension out of the CRD environment.
        CelCompiler base = CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(OPTIONS)
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .setTypeProvider(types)
                .addLibraries(CelExtensions.strings(), CelExtensions.sets(OPTIONS), CelExtensions.optional())
                .addFunctionDeclarations(NetworkCelLibrary.declarations())
                .addFunctionDeclarations(ListsCelLibrary.declarations())
                .addFunctionDeclarations(RegexCelLibrary.declarations())
                .addFunctionDeclarations(FormatCelLibrary.declarations())
                .build();
        Map<SchemaNode, List<CompiledRule>> rules = new IdentityHashMap<>();
        collect(root, where, new Environment(base, server, crd), types, rules);
        CelValidation validation = new CelValidation(types, rules);
        validation.markRulesBelow(root);
        return validation;
    }

    /** The compiler with the libraries, and what a refusal names: the release modelled and the CRD. */
    private record Environment(CelCompiler compiler, KubernetesVersion server, String crd) {
    }

    private static void collect(SchemaNode node, String where, Environment base, CelSchemaTypes types,
                                Map<SchemaNode, List<CompiledRule>> rules) {
        if (node == null) {
            return;
        }
        if (!node.validations().isEmpty()) {
            List<CompiledRule> compiled = new ArrayList<>();
            CelType self = types.typeOf(node);
            Map<Boolean, CelCompiler> environments = new HashMap<>();
            for (int i = 0; i < node.validations().size(); i++) {
                ValidationRule rule = node.validations().get(i);
                String at = where + ".x-kubernetes-validations[" + i + "]";
                CelCompiler compiler = environments.computeIfAbsent(rule.optionalOldSelf(), optional -> base.compiler().toCompilerBuilder()
                        .addVar("self", self)
                        .addVar("oldSelf", optional ? OptionalType.create(self) : self)
                        .build());
                Environment env = new Environment(compiler, base.server(), base.crd());
                CelAbstractSyntaxTree ast = check(env, rule.rule(), at + ".rule");
                if (!ast.getResultType().equals(SimpleType.BOOL) && !ast.getResultType().equals(SimpleType.DYN)) {
                    throw refused(at + ".rule", rule.rule(), "must evaluate to a bool, not " + ast.getResultType().name());
                }
                CelRuntime.Program message = null;
                if (rule.messageExpression() != null && !rule.messageExpression().isBlank()) {
                    CelAbstractSyntaxTree messageAst = check(env, rule.messageExpression(), at + ".messageExpression");
                    if (!messageAst.getResultType().equals(SimpleType.STRING) && !messageAst.getResultType().equals(SimpleType.DYN)) {
                        throw refused(at + ".messageExpression", rule.messageExpression(),
                                "must evaluate to a string, not " + messageAst.getResultType().name());
                    }
                    message = program(messageAst, at + ".messageExpression");
                }
                if (rule.reason() != null && !List.of("FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired",
                        "FieldValueDuplicate").contains(rule.reason())) {
                    throw refused(at + ".reason", rule.reason(), "supported values: \"FieldValueDuplicate\","
                            + " \"FieldValueForbidden\", \"FieldValueInvalid\", \"FieldValueRequired\"");
                }
                if (rule.fieldPath() != null && !rule.fieldPath().isEmpty() && !RuleFieldPath.isValid(rule.fieldPath(), node)) {
                    throw refused(at + ".fieldPath", rule.fieldPath(), "fieldPath must be a valid path to a field of this schema");
                }
                boolean usesOldSelf = ast.getReferenceMap().values().stream()
                        .map(CelReference::name).anyMatch("oldSelf"::equals);
                compiled.add(new CompiledRule(rule, program(ast, at + ".rule"), message, usesOldSelf));
            }
            rules.put(node, List.copyOf(compiled));
        }
        node.properties().forEach((name, child) -> collect(child, where + ".properties[" + name + "]", base, types, rules));
        collect(node.items(), where + ".items", base, types, rules);
        collect(node.additionalProperties(), where + ".additionalProperties", base, types, rules);
    }

    private static CelAbstractSyntaxTree check(Environment env, String expression, String at) {
        List<CelLibraryReleases.Call> calls;
        try {
            calls = CelLibraryReleases.calls(env.compiler().parse(expression).getAst());
        } catch (CelValidationException e) {
            throw refused(at, expression, "compilation failed: " + e.getMessage());
        }
        CelLibraryReleases.refusal(calls, env.server(), env.crd()).ifPresent(why -> {
            throw refused(at, expression, why);
        });
        try {
            return env.compiler().compile(expression).getAst();
        } catch (CelValidationException e) {
            throw refused(at, expression, CelLibraryReleases.notImplemented(calls, env.server(), env.crd())
                    .orElse("compilation failed: " + e.getMessage()));
        }
    }

    private static CelRuntime.Program program(CelAbstractSyntaxTree ast, String at) {
        try {
            return RUNTIME.createProgram(ast);
        } catch (CelEvaluationException e) {
            throw refused(at, ast.getSource().getContent().toString(), "cannot plan CEL program: " + e.getMessage());
        }
    }

    /** Worded as the API server's refusal of such a CRD: {@code <path>: Invalid value: "<rule>": <why>}. */
    private static IllegalArgumentException refused(String at, String value, String why) {
        return new IllegalArgumentException(at + ": Invalid value: " + FieldError.quote(value) + ": " + why);
    }

    private boolean markRulesBelow(SchemaNode node) {
        if (node == null) {
            return false;
        }
        boolean any = rules.containsKey(node);
        for (SchemaNode child : node.properties().values()) {
            any |= markRulesBelow(child);
        }
        any |= markRulesBelow(node.items());
        any |= markRulesBelow(node.additionalProperties());
        rulesBelow.put(node, any);
        return any;
    }

    /** @param oldObject the stored object (defaulted) on update, else null */
    List<FieldError> evaluate(ObjectNode object, ObjectNode oldObject) {
        List<FieldError> errors = new ArrayList<>();
        walk(types.root(), object, oldObject, oldObject, false, "", true, errors);
        return errors;
    }

    /**
     * @param old        the correlated old value (object fields, list-type=map items), for oldSelf
     * @param ratchetOld the old value as schema ratcheting correlates it (also list-type=set items)
     * @param unchanged  whether an enclosing value equals its old counterpart: then rules without
     *                   oldSelf are not evaluated (validation ratcheting); transition rules still are
     */
    private void walk(SchemaNode node, JsonNode value, JsonNode old, JsonNode ratchetOld, boolean unchanged,
                      String path, boolean resourceRoot, List<FieldError> errors) {
        if (node == null || value == null || value.isNull() || !rulesBelow.getOrDefault(node, false)) {
            return;
        }
        if (old != null && old.isNull()) {
            old = null;
        }
        boolean same = unchanged || (ratchetOld != null && JsonValues.same(value, ratchetOld));
        List<CompiledRule> here = rules.get(node);
        if (here != null) {
            evaluateRules(node, here, value, old, same, path, resourceRoot, errors);
        }
        if (value instanceof ObjectNode object) {
            JsonNode oldObject = old;
            JsonNode ratchetObject = ratchetOld;
            object.fields().forEachRemaining(field -> {
                String key = field.getKey();
                JsonNode oldValue = OldValues.field(node, oldObject, key);
                JsonNode ratchetValue = OldValues.field(node, ratchetObject, key);
                SchemaNode property = node.properties().get(key);
                if (property != null) {
                    walk(property, field.getValue(), oldValue, ratchetValue, same, FieldPaths.child(path, key),
                            property.embeddedResource(), errors);
                } else if (node.additionalProperties() != null) {
                    SchemaNode additional = node.additionalProperties();
                    walk(additional, field.getValue(), oldValue, ratchetValue, same, FieldPaths.key(path, key),
                            additional.embeddedResource(), errors);
                }
            });
        } else if (value instanceof ArrayNode array && node.items() != null) {
            for (int i = 0; i < array.size(); i++) {
                JsonNode item = array.get(i);
                // Only list-type=map items have an oldSelf, as in Kubernetes.
                walk(node.items(), item, OldValues.item(node, item, old, false), OldValues.item(node, item, ratchetOld, true),
                        same, FieldPaths.index(path, i), node.items().embeddedResource(), errors);
            }
        }
    }

    private void evaluateRules(SchemaNode node, List<CompiledRule> compiled, JsonNode value, JsonNode old,
                               boolean unchanged, String path, boolean resourceRoot, List<FieldError> errors) {
        Object self = types.value(value, node, resourceRoot);
        Object oldSelf = old == null ? null : types.value(old, node, resourceRoot);
        String schemaType = node.type() == null ? "" : node.type();
        for (CompiledRule rule : compiled) {
            if (rule.usesOldSelf() && oldSelf == null && !rule.rule().optionalOldSelf()) {
                continue; // transition rules need an old value to compare with
            }
            if (unchanged && !rule.usesOldSelf()) {
                continue; // ratcheted: the value is as stored
            }
            Map<String, Object> activation = new HashMap<>();
            activation.put("self", self);
            if (rule.rule().optionalOldSelf()) {
                activation.put("oldSelf", Optional.ofNullable(oldSelf));
            } else if (oldSelf != null) {
                activation.put("oldSelf", oldSelf);
            }
            Object result;
            try {
                result = rule.program().eval(activation);
            } catch (CelEvaluationException | RuntimeException e) {
                errors.add(new FieldError(path, FieldError.INVALID, schemaType,
                        describe(e) + " evaluating rule: " + ruleErrorString(rule.rule())));
                continue;
            }
            if (Boolean.TRUE.equals(result)) {
                continue;
            }
            String field = rule.rule().fieldPath() == null || rule.rule().fieldPath().isEmpty()
                    ? path : RuleFieldPath.resolve(path, rule.rule().fieldPath(), node);
            String detail = messageOf(rule, activation);
            errors.add(switch (rule.rule().reason() == null ? "" : rule.rule().reason()) {
                case "FieldValueForbidden" -> new FieldError(field, FieldError.FORBIDDEN, null, detail);
                case "FieldValueRequired" -> new FieldError(field, FieldError.REQUIRED, null, detail);
                case "FieldValueDuplicate" -> new FieldError(field, FieldError.DUPLICATE, schemaType, "");
                default -> new FieldError(field, FieldError.INVALID, schemaType, detail);
            });
        }
    }

    /** messageExpression when it yields a usable string, else message, else "failed rule: <rule>". */
    private static String messageOf(CompiledRule rule, Map<String, Object> activation) {
        if (rule.message() != null) {
            try {
                Object text = rule.message().eval(activation);
                if (text instanceof String s && !s.isBlank() && !s.contains("\n")) {
                    return s.trim();
                }
            } catch (CelEvaluationException | RuntimeException e) {
                // Kubernetes logs the failure and falls back to the static message.
            }
        }
        String message = rule.rule().message();
        if (message == null || message.isBlank()) {
            return "failed rule: " + ruleErrorString(rule.rule());
        }
        return message.trim();
    }

    private static String ruleErrorString(ValidationRule rule) {
        return rule.message() != null && !rule.message().isBlank() ? rule.message().trim() : rule.rule().trim();
    }

    /** The evaluation error in cel-go's words where they differ ("no such key: x"). */
    private static String describe(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof NetworkCelLibrary.AddressParseException) {
                return cause.getMessage();
            }
        }
        String message = CEL_LOCATION.matcher(String.valueOf(e.getMessage())).replaceFirst("");
        Matcher missing = MISSING_KEY.matcher(message);
        if (missing.matches()) {
            return "no such key: " + missing.group(1);
        }
        return message;
    }
}
