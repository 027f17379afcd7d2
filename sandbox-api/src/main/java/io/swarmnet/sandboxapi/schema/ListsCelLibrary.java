package io.swarmnet.sandboxapi.schema;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.TypeParamType;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import java.util.List;

/**
 * Kubernetes' CEL list library (k8s.io/apiserver/pkg/cel/library/lists.go): {@code isSorted()},
 * {@code sum()}, {@code min()}, {@code max()}, {@code indexOf(x)}, {@code lastIndexOf(x)} on lists of
 * ints, doubles, strings or bools.
 */
final class ListsCelLibrary {

    private static final TypeParamType T = TypeParamType.create("T");
    private static final CelType LIST_T = ListType.create(T);

    private ListsCelLibrary() {
    }

    static List<CelFunctionDecl> declarations() {
        return List.of(
                CelFunctionDecl.newFunctionDeclaration("isSorted",
                        CelOverloadDecl.newMemberOverload("k8s_list_is_sorted", SimpleType.BOOL, LIST_T)),
                CelFunctionDecl.newFunctionDeclaration("sum",
                        CelOverloadDecl.newMemberOverload("k8s_list_int_sum", SimpleType.INT, ListType.create(SimpleType.INT)),
                        CelOverloadDecl.newMemberOverload("k8s_list_double_sum", SimpleType.DOUBLE, ListType.create(SimpleType.DOUBLE))),
                CelFunctionDecl.newFunctionDeclaration("min",
                        CelOverloadDecl.newMemberOverload("k8s_list_min", T, LIST_T)),
                CelFunctionDecl.newFunctionDeclaration("max",
                        CelOverloadDecl.newMemberOverload("k8s_list_max", T, LIST_T)),
                CelFunctionDecl.newFunctionDeclaration("indexOf",
                        CelOverloadDecl.newMemberOverload("k8s_list_index_of", SimpleType.INT, LIST_T, T)),
                CelFunctionDecl.newFunctionDeclaration("lastIndexOf",
                        CelOverloadDecl.newMemberOverload("k8s_list_last_index_of", SimpleType.INT, LIST_T, T)));
    }

    static List<CelFunctionBinding> bindings() {
        return List.of(
                CelFunctionBinding.from("k8s_list_is_sorted", List.class, ListsCelLibrary::isSorted),
                CelFunctionBinding.from("k8s_list_int_sum", List.class,
                        list -> list.stream().mapToLong(v -> (Long) v).sum()),
                CelFunctionBinding.from("k8s_list_double_sum", List.class,
                        list -> list.stream().mapToDouble(v -> (Double) v).sum()),
                CelFunctionBinding.from("k8s_list_min", List.class, list -> extreme(list, -1, "min")),
                CelFunctionBinding.from("k8s_list_max", List.class, list -> extreme(list, 1, "max")),
                CelFunctionBinding.from("k8s_list_index_of", List.class, Object.class,
                        (list, item) -> (long) list.indexOf(item)),
                CelFunctionBinding.from("k8s_list_last_index_of", List.class, Object.class,
                        (list, item) -> (long) list.lastIndexOf(item)));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static boolean isSorted(List list) {
        for (int i = 1; i < list.size(); i++) {
            if (((Comparable) list.get(i - 1)).compareTo(list.get(i)) > 0) {
                return false;
            }
        }
        return true;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object extreme(List list, int sign, String name) throws CelEvaluationException {
        if (list.isEmpty()) {
            throw new CelEvaluationException(name + " called on empty list");
        }
        Object best = list.get(0);
        for (Object item : list) {
            if (Integer.signum(((Comparable) item).compareTo(best)) == sign) {
                best = item;
            }
        }
        return best;
    }
}
