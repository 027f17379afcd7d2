package io.swarmnet.system.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.swarmnet.system.chart.RepositoryLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation stands on its own: README.md is a front page (short, with the two commands CI and
 * newcomers depend on near the top) that links every page under docs/; every relative link in README.md
 * and docs/*.md reaches a file of the repository and, with a fragment, a heading of that file; and no
 * file of the repository points at documents outside it.
 */
class DocumentationTest {

    /** README's two commands, exactly as they stand (.ci/run runs the second). */
    private static final List<String> TWO_COMMANDS = List.of(
            "./swarmnet demo     # local multi-node sandbox running Docker's overlay-network walkthrough",
            "./swarmnet test     # the whole test suite (what CI runs: .ci/run)");
    private static final int README_MAX_LINES = 250;
    /** Lines of README within which the two commands must come. */
    private static final int COMMANDS_WITHIN = 40;

    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");
    private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern INLINE_CODE = Pattern.compile("`[^`]*`");
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s+(?:name|id)=\"([^\"]+)\"");

    private final RepositoryLayout repo = RepositoryLayout.find();

    @Test
    void readmeIsAFrontPageWithTheTwoCommandsNearTheTop() throws IOException {
        List<String> lines = Files.readAllLines(repo.root().resolve("README.md"));

        assertThat(lines.size()).as("README.md has %d lines; move detail into a page under docs/ and link it", lines.size())
                .isLessThan(README_MAX_LINES);
        for (String command : TWO_COMMANDS) {
            int at = lines.indexOf(command);
            assertThat(at).as("README.md must keep the line %s unchanged (CI runs it: .ci/run)", command).isNotNegative();
            assertThat(at).as("README.md line %d is %s; keep it within the first %d lines", at + 1, command, COMMANDS_WITHIN)
                    .isLessThan(COMMANDS_WITHIN);
        }
    }

    @Test
    void readmeLinksEveryDocsPage() throws IOException {
        Set<Path> linked = new LinkedHashSet<>();
        for (String target : links(Files.readString(repo.root().resolve("README.md")))) {
            if (isRelative(target)) {
                linked.add(repo.root().resolve(stripFragment(target)).normalize());
            }
        }
        List<String> unlinked = new ArrayList<>();
        for (Path page : docsPages()) {
            if (!linked.contains(page.normalize())) {
                unlinked.add(repo.root().relativize(page).toString());
            }
        }
        assertThat(unlinked).as("pages under docs/ that README.md does not link; add a row for each to README's documentation table")
                .isEmpty();
    }

    @Test
    void everyRelativeLinkReachesAFileAndHeading() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(repo.root().resolve("README.md"));
        pages.addAll(docsPages());
        Map<Path, Set<String>> anchorsByFile = new HashMap<>();
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages) {
            String name = repo.root().relativize(page).toString();
            for (String target : links(Files.readString(page))) {
                if (!isRelative(target)) {
                    continue;
                }
                checked++;
                String file = stripFragment(target);
                Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!resolved.startsWith(repo.root())) {
                    broken.add(name + ": " + target + " leaves the repository");
                    continue;
                }
                if (!Files.exists(resolved)) {
                    broken.add(name + ": " + target + " names no file (" + repo.root().relativize(resolved) + ")");
                    continue;
                }
                int hash = target.indexOf('#');
                if (hash >= 0) {
                    String fragment = target.substring(hash + 1);
                    if (!resolved.getFileName().toString().endsWith(".md")) {
                        broken.add(name + ": " + target + " has a fragment, but " + resolved.getFileName() + " is not markdown");
                        continue;
                    }
                    Set<String> anchors = anchorsByFile.computeIfAbsent(resolved, DocumentationTest::anchors);
                    if (!anchors.contains(fragment)) {
                        broken.add(name + ": " + target + " names no heading of " + repo.root().relativize(resolved)
                                + " (its anchors: " + anchors + ")");
                    }
                }
            }
        }
        assertThat(checked).as("relative links found in README.md and docs/").isPositive();
        assertThat(broken).as("links in README.md and docs/*.md that lead nowhere; fix the path or the heading's anchor").isEmpty();
    }

    @Test
    void noFileOfTheRepositoryPointsOutsideIt() throws IOException {
        // spelt in pieces, so that this file does not name them itself
        List<String> outside = new ArrayList<>(List.of(".." + "/shared", "/wo" + "rk/"));
        for (String document : List.of("DESIGN" + ".md", "STYLE" + ".md")) {
            if (!Files.exists(repo.root().resolve(document))) {
                outside.add(document);
            }
        }
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(repo.root())) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile).filter(f -> !ignored(f))::iterator) {
                String text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                for (String needle : outside) {
                    if (text.contains(needle)) {
                        found.add(repo.root().relativize(file) + " mentions " + needle);
                    }
                }
            }
        }
        assertThat(found).as("files that refer to documents or paths outside the repository; point to its own docs/ instead")
                .isEmpty();
    }

    @Test
    void anchorsAreTheOnesGitHubGivesHeadings() {
        assertThat(slug("No clash with the cluster's own VXLAN")).isEqualTo("no-clash-with-the-clusters-own-vxlan");
        assertThat(slug("Configuration (environment, `AgentEnvironment`)")).isEqualTo("configuration-environment-agentenvironment");
        assertThat(slug("Timings (this 2-vCPU machine)")).isEqualTo("timings-this-2-vcpu-machine");
        assertThat(slug("SwarmService: tasks, status and conditions")).isEqualTo("swarmservice-tasks-status-and-conditions");
        assertThat(links("see [a](x.md#y), `[b](not-a-link.md)` and\n```sh\n[c](neither.md)\n```\n[d](https://example.com)"))
                .containsExactly("x.md#y", "https://example.com");
    }

    /** Build output, version control and what .gitignore keeps out of the repository. */
    private boolean ignored(Path file) {
        Path relative = repo.root().relativize(file);
        String first = relative.getName(0).toString();
        if (first.equals(".git") || first.equals(".sandbox") || first.equals(".idea")) {
            return true;
        }
        for (Path part : relative) {
            if (part.toString().equals("target")) {
                return true;
            }
        }
        String name = file.getFileName().toString();
        return name.endsWith(".log") || name.endsWith(".iml");
    }

    private List<Path> docsPages() throws IOException {
        try (Stream<Path> files = Files.list(repo.root().resolve("docs"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".md")).sorted().toList();
        }
    }

    private static boolean isRelative(String target) {
        return !target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") && !target.startsWith("//");
    }

    private static String stripFragment(String target) {
        int hash = target.indexOf('#');
        return hash < 0 ? target : target.substring(0, hash);
    }

    /** Link targets of a markdown text, outside code blocks and inline code. */
    static List<String> links(String markdown) {
        String prose = INLINE_CODE.matcher(withoutCodeBlocks(markdown)).replaceAll("");
        List<String> targets = new ArrayList<>();
        Matcher m = LINK.matcher(prose);
        while (m.find()) {
            targets.add(m.group(1));
        }
        return targets;
    }

    private static String withoutCodeBlocks(String markdown) {
        StringBuilder out = new StringBuilder();
        boolean inFence = false;
        for (String line : markdown.split("\n", -1)) {
            if (FENCE.matcher(line).find()) {
                inFence = !inFence;
                out.append('\n');
                continue;
            }
            out.append(inFence ? "" : line).append('\n');
        }
        return out.toString();
    }

    /** The anchors GitHub gives a markdown file's headings (and explicit HTML anchors). */
    static Set<String> anchors(Path file) {
        String markdown;
        try {
            markdown = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : withoutCodeBlocks(markdown).split("\n")) {
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                String slug = slug(h.group(2));
                int n = seen.merge(slug, 1, Integer::sum) - 1;
                anchors.add(n == 0 ? slug : slug + "-" + n);
            }
            Matcher a = HTML_ANCHOR.matcher(line);
            while (a.find()) {
                anchors.add(a.group(1));
            }
        }
        return anchors;
    }

    /** GitHub's heading anchor: lower case, punctuation dropped (but - and _), spaces as hyphens. */
    static String slug(String heading) {
        String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1"); // a link in a heading counts by its text
        return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "").replace(' ', '-');
    }
}
