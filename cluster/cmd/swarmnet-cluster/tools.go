package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// toolsDir holds the kubectl and helm that the tests, the demo and `up` run; nothing else on the
// machine is used in their place.
var toolsDir = filepath.Join(cacheRoot, "tools")

// pinnedTool is a command-line tool built from a module that a go.mod in this repository pins.
type pinnedTool struct {
	name string
	// the module whose version the tool reports, and the directory (under cluster/) whose go.mod pins it
	module, moduleDir string
	pkg               string
	ldflags           func(version string) string
	// the arguments that make it print its version
	versionArgs []string
}

// kubectl comes from the cluster module itself, so it is the release the components are, built
// with their dependencies. helm has a module of its own (cluster/helm): its dependencies are
// newer than Kubernetes' in places, and sharing a module would move the components' along.
var pinnedTools = []pinnedTool{
	{name: "kubectl", module: "k8s.io/kubernetes", moduleDir: ".", pkg: "k8s.io/kubernetes/cmd/kubectl",
		ldflags: versionFlags, versionArgs: []string{"version", "--client"}},
	{name: "helm", module: "helm.sh/helm/v4", moduleDir: "helm", pkg: "helm.sh/helm/v4/cmd/helm",
		ldflags: helmVersionFlags, versionArgs: []string{"version"}},
}

// helmVersionFlags stamp the release as helm's own build does; without them helm reports only "v4.3".
func helmVersionFlags(version string) string {
	return "-X helm.sh/helm/v4/internal/version.version=" + version + " -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
}

// buildTools builds every pinned tool whose pin changed since it was last built (or that is
// missing) into toolsDir. When it built one, or report asks, it prints what each reports as its
// version; otherwise it says nothing (install-deps.sh is quiet when everything is there).
func buildTools(source string, report bool) error {
	if err := requireGo("kubectl and helm are built from the modules pinned in " + source); err != nil {
		return err
	}
	if err := os.MkdirAll(toolsDir, 0o755); err != nil {
		return err
	}
	for _, t := range pinnedTools {
		built, err := t.build(source)
		if err != nil {
			return err
		}
		report = report || built
	}
	if !report {
		return nil
	}
	fmt.Fprintf(os.Stderr, "swarmnet: kubectl and helm in %s, built from %s/go.mod and %s/helm/go.mod:\n", toolsDir, source, source)
	for _, t := range pinnedTools {
		out, err := output(t.binary(), t.versionArgs...)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "  $ %s %s\n%s", t.name, strings.Join(t.versionArgs, " "), indent(out, "    "))
	}
	return nil
}

func (t pinnedTool) binary() string { return filepath.Join(toolsDir, t.name) }

// pinFile records what the binary was built from: the version and a digest of go.mod, go.sum and
// the linker flags, so that any change to the pins (a dependency's too) rebuilds it.
func (t pinnedTool) pinFile() string { return t.binary() + ".pin" }

// build builds the tool unless the binary there was built from the same pin; true when it built.
func (t pinnedTool) build(source string) (bool, error) {
	dir := filepath.Join(source, t.moduleDir)
	version, err := requiredVersion(dir, t.module)
	if err != nil {
		return false, err
	}
	// -s -w: no symbol table or DWARF, as both projects' release builds
	ldflags := "-s -w " + t.ldflags(version)
	pin, err := buildPin(dir, version, ldflags)
	if err != nil {
		return false, err
	}
	if built, err := os.ReadFile(t.pinFile()); err == nil && string(built) == pin {
		if _, err := os.Stat(t.binary()); err == nil {
			return false, nil
		}
	}
	return true, step(fmt.Sprintf("building %s %s from %s (%s); a first build takes about 2 minutes", t.name, version, t.pkg, filepath.Join(dir, "go.mod")), func() error {
		// go.sum holds the hash of every module the build uses, and Go refuses a module whose
		// download does not match it; verify also checks the copies already in the module cache
		if err := goCommand(dir, "mod", "verify"); err != nil {
			return err
		}
		partial := t.binary() + ".partial"
		// a failed build leaves the previous binary and no half of a new one
		defer os.Remove(partial)
		// -mod=readonly: a GOFLAGS of -mod=mod must not let the build add modules go.sum lacks
		if err := goCommand(dir, "build", "-mod=readonly", "-trimpath", "-ldflags", ldflags, "-o", partial, t.pkg); err != nil {
			return err
		}
		out, err := output(partial, t.versionArgs...)
		if err != nil {
			return err
		}
		if !strings.Contains(out, version) {
			return fmt.Errorf("the %s just built reports %q, not the pinned %s: its -ldflags no longer reach the version variables", t.name, strings.TrimSpace(out), version)
		}
		if err := os.Rename(partial, t.binary()); err != nil {
			return err
		}
		return os.WriteFile(t.pinFile(), []byte(pin), 0o644)
	})
}

func buildPin(dir, version, ldflags string) (string, error) {
	digest := sha256.New()
	digest.Write([]byte(ldflags))
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		digest.Write(data)
	}
	return version + " sha256:" + hex.EncodeToString(digest.Sum(nil)) + "\n", nil
}

// requireGo says what needs Go when there is none.
func requireGo(why string) error {
	if _, err := exec.LookPath("go"); err != nil {
		return errors.New("missing go: " + why + "; install Go 1.26 or newer (https://go.dev/doc/install is the usual way; this project's CI has it)")
	}
	return nil
}

// goCommand runs go in dir, its output on stderr, without cgo (every binary here is static).
func goCommand(dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s in %s: %w", strings.Join(args, " "), dir, err)
	}
	return nil
}

func indent(text, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}
