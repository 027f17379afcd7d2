package io.swarmnet.agent.datapath;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Reads a choice written in the environment or the chart: one of a few lower-case words, each naming a constant. */
final class SettingValues {

    private SettingValues() {
    }

    /** The constant whose setting is {@code text} (case and surrounding blanks ignored); else an error naming the choices. */
    static <E> E parse(String name, String text, E[] values, Function<E, String> setting) {
        String wanted = text.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values).filter(v -> setting.apply(v).equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(name + " '" + text + "' is not one of "
                        + Arrays.stream(values).map(setting).collect(Collectors.joining(", "))));
    }
}
