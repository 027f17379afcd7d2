package io.swarmnet.operator.service.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One templated string of a SwarmService's pod template, parsed: the part of Go's text/template
 * that {@code docker service create} templates are written in. Understood: placeholders
 * ({@code {{.Service.Name}}}), {@code {{index .Service.Labels "key"}}}, string constants
 * ({@code {{"{{"}}} writes a literal {@code {{}), comments and the {@code {{-}} / {@code -}}}
 * whitespace trimming. Anything else (pipelines, functions, conditions, variables) is refused with
 * a {@link TemplateException} rather than copied through, so a typo never reaches a task.
 */
public record TaskTemplate(List<Part> parts) {

    /** A piece of a parsed template. */
    public sealed interface Part permits Text, Insert {
    }

    /** Text written as it is: outside any action, or the value of a string constant such as {@code {{"{{"}}}. */
    public record Text(String text) implements Part {
    }

    /** A placeholder, replaced by its value for the task. */
    public record Insert(Placeholder placeholder) implements Part {
    }

    private static final String OPEN = "{{";
    private static final String CLOSE = "}}";

    public TaskTemplate {
        parts = List.copyOf(parts);
    }

    /** Whether the template inserts a placeholder {@code wanted} accepts. */
    public boolean uses(Predicate<Placeholder> wanted) {
        return parts.stream().anyMatch(p -> p instanceof Insert insert && wanted.test(insert.placeholder()));
    }

    /** The one placeholder the whole template consists of, if that is all it is. */
    public Optional<Placeholder> only() {
        return parts.size() == 1 && parts.get(0) instanceof Insert insert ? Optional.of(insert.placeholder()) : Optional.empty();
    }

    public static TaskTemplate parse(String source) throws TemplateException {
        return new Parser(source).parse();
    }

    private static final class Parser {
        private final String source;
        private final List<Part> parts = new ArrayList<>();
        private final StringBuilder text = new StringBuilder();
        private int pos;

        Parser(String source) {
            this.source = source;
        }

        TaskTemplate parse() throws TemplateException {
            while (pos < source.length()) {
                int open = source.indexOf(OPEN, pos);
                if (open < 0) {
                    text.append(source, pos, source.length());
                    break;
                }
                text.append(source, pos, open);
                action(open);
            }
            flushText();
            return new TaskTemplate(parts);
        }

        private void flushText() {
            if (!text.isEmpty()) {
                parts.add(new Text(text.toString()));
                text.setLength(0);
            }
        }

        /** Reads the action opening at {@code open} and moves {@link #pos} past it (and past trimmed space). */
        private void action(int open) throws TemplateException {
            int p = open + OPEN.length();
            if (p + 1 < source.length() && source.charAt(p) == '-' && isSpace(source.charAt(p + 1))) {
                // "{{- " trims the white space before the action
                while (!text.isEmpty() && isSpace(text.charAt(text.length() - 1))) {
                    text.setLength(text.length() - 1);
                }
                p++;
            }
            p = skipSpaces(p);
            List<Token> tokens = new ArrayList<>();
            boolean comment = source.startsWith("/*", p);
            if (comment) {
                int end = source.indexOf("*/", p + 2);
                if (end < 0) {
                    throw new TemplateException("unclosed comment in " + quote(open, source.length())
                            + "; end it with */}}");
                }
                p = end + 2;
            }
            boolean trimAfter;
            while (true) {
                p = skipSpaces(p);
                if (p >= source.length()) {
                    throw new TemplateException("unclosed action " + quote(open, source.length()) + "; end it with }}"
                            + " (a literal {{ is written {{\"{{\"}})");
                }
                if (source.startsWith(CLOSE, p)) {
                    trimAfter = false;
                    p += CLOSE.length();
                    break;
                }
                if (source.startsWith("-" + CLOSE, p) && isSpace(source.charAt(p - 1))) {
                    trimAfter = true;
                    p += 1 + CLOSE.length();
                    break;
                }
                if (comment) {
                    throw new TemplateException("text after the comment in " + quote(open, closeOf(p))
                            + "; a comment must end right before }}");
                }
                p = token(open, p, tokens);
            }
            String written = source.substring(open, p);
            if (!comment && tokens.size() == 1 && tokens.get(0).quoted()) {
                // a string constant is text the user wrote: it joins the text around it
                text.append(tokens.get(0).text());
            } else if (!comment) {
                Insert insert = interpret(written, tokens);
                flushText();
                parts.add(insert);
            }
            if (trimAfter) {
                p = skipSpaces(p);
            }
            pos = p;
        }

        private record Token(String text, boolean quoted) {
        }

        /** Reads one token starting at {@code p}; returns where the next one may start. */
        private int token(int open, int p, List<Token> tokens) throws TemplateException {
            char c = source.charAt(p);
            if (c == '"') {
                StringBuilder value = new StringBuilder();
                int q = p + 1;
                while (true) {
                    if (q >= source.length() || source.charAt(q) == '\n') {
                        throw new TemplateException("unterminated quoted string in " + quote(open, source.length()));
                    }
                    char d = source.charAt(q);
                    if (d == '"') {
                        tokens.add(new Token(value.toString(), true));
                        return q + 1;
                    }
                    if (d == '\\') {
                        q = escape(open, q, value);
                    } else {
                        value.append(d);
                        q++;
                    }
                }
            }
            if (c == '`') {
                int end = source.indexOf('`', p + 1);
                if (end < 0) {
                    throw new TemplateException("unterminated raw string in " + quote(open, source.length()));
                }
                tokens.add(new Token(source.substring(p + 1, end), true));
                return end + 1;
            }
            int q = p;
            while (q < source.length() && !isSpace(source.charAt(q)) && source.charAt(q) != '"' && source.charAt(q) != '`'
                    && !source.startsWith(CLOSE, q)) {
                q++;
            }
            tokens.add(new Token(source.substring(p, q), false));
            return q;
        }

        /** Reads the escape sequence at {@code q} (a backslash) into {@code value}, as Go's strconv.Unquote does. */
        private int escape(int open, int q, StringBuilder value) throws TemplateException {
            if (q + 1 >= source.length()) {
                throw new TemplateException("unterminated quoted string in " + quote(open, source.length()));
            }
            char e = source.charAt(q + 1);
            switch (e) {
                case 'a' -> value.append('\u0007');
                case 'b' -> value.append('\b');
                case 'f' -> value.append('\f');
                case 'n' -> value.append('\n');
                case 'r' -> value.append('\r');
                case 't' -> value.append('\t');
                case 'v' -> value.append('\u000b');
                case '\\' -> value.append('\\');
                case '"' -> value.append('"');
                case 'x' -> {
                    return hex(open, q, 2, value);
                }
                case 'u' -> {
                    return hex(open, q, 4, value);
                }
                case 'U' -> {
                    return hex(open, q, 8, value);
                }
                default -> throw new TemplateException("unknown escape \\" + e + " in " + quote(open, closeOf(q))
                        + "; write a backslash as \\\\ or use a `raw string`");
            }
            return q + 2;
        }

        private int hex(int open, int q, int digits, StringBuilder value) throws TemplateException {
            int start = q + 2;
            if (start + digits > source.length()) {
                throw new TemplateException("short escape in " + quote(open, source.length()));
            }
            try {
                value.appendCodePoint(Integer.parseInt(source.substring(start, start + digits), 16));
            } catch (IllegalArgumentException e) {
                throw new TemplateException("invalid escape \\" + source.substring(q + 1, start + digits) + " in "
                        + quote(open, closeOf(q)));
            }
            return start + digits;
        }

        private static Insert interpret(String written, List<Token> tokens) throws TemplateException {
            if (tokens.isEmpty()) {
                throw new TemplateException("empty action " + written + "; write a placeholder such as {{.Service.Name}} in it");
            }
            Token first = tokens.get(0);
            if (tokens.size() == 1 && first.text().startsWith(".")) {
                return new Insert(Placeholder.of(field(written, first.text())));
            }
            if (first.text().equals("index") && !first.quoted()) {
                if (tokens.size() == 3 && !tokens.get(1).quoted() && tokens.get(1).text().equals(".Service.Labels") && tokens.get(2).quoted()) {
                    return new Insert(Placeholder.serviceLabel(tokens.get(2).text()));
                }
                throw new TemplateException("unsupported " + written + "; index is supported only as {{index .Service.Labels \"key\"}}");
            }
            throw new TemplateException("unsupported action " + written + "; a task template holds only placeholders ("
                    + String.join(", ", Placeholder.SUPPORTED) + ") and string constants such as {{\"{{\"}}");
        }

        private static Placeholder.Field field(String written, String path) throws TemplateException {
            Optional<Placeholder.Field> field = Placeholder.Field.byPath(path);
            if (field.isPresent()) {
                return field.get();
            }
            String labels = Placeholder.Field.SERVICE_LABELS.path() + ".";
            if (path.startsWith(labels)) {
                throw new TemplateException("unknown placeholder " + written + "; a service label is read with {{index .Service.Labels \""
                        + path.substring(labels.length()) + "\"}}");
            }
            throw new TemplateException("unknown placeholder " + written + "; the placeholders are " + String.join(", ", Placeholder.SUPPORTED)
                    + " (names are case-sensitive)");
        }

        private int skipSpaces(int p) {
            while (p < source.length() && isSpace(source.charAt(p))) {
                p++;
            }
            return p;
        }

        /** Where the action containing {@code p} ends, for quoting it whole. */
        private int closeOf(int p) {
            int close = source.indexOf(CLOSE, p);
            return close < 0 ? source.length() : close + CLOSE.length();
        }

        private String quote(int from, int to) {
            return source.substring(from, to);
        }

        private static boolean isSpace(char c) {
            return c == ' ' || c == '\t' || c == '\r' || c == '\n';
        }
    }
}
