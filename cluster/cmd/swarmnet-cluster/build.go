package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

type binaries struct {
	localkube string
}

// buildBinaries builds the Kubernetes components and the pause program from the cluster module.
// Go's build cache makes a later build that changed nothing a matter of seconds.
func buildBinaries(source string) (binaries, error) {
	bin := filepath.Join(cacheRoot, "bin")
	b := binaries{localkube: filepath.Join(bin, "localkube")}
	if source == "" {
		if _, err := os.Stat(b.localkube); err != nil {
			return b, errors.New("no --source given and nothing built yet in " + bin)
		}
		return b, nil
	}
	if err := requireGo("the Kubernetes components are built from the modules pinned in " + source); err != nil {
		return b, err
	}
	err := step("building Kubernetes components (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, etcd), CoreDNS and pause; the first build takes 10-25 minutes", func() error {
		version, err := requiredVersion(source, "k8s.io/kubernetes")
		if err != nil {
			return err
		}
		return goCommand(source, "build", "-trimpath", "-ldflags", versionFlags(version), "-o", bin+"/", "./cmd/localkube", "./cmd/pause", "./cmd/coredns")
	})
	return b, err
}

// requiredVersion is the version of module that dir/go.mod requires, e.g. v1.37.2 for k8s.io/kubernetes.
func requiredVersion(dir, module string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 1 && fields[0] == "require" {
			fields = fields[1:]
		}
		// replace lines (module => other version) name no requirement
		if len(fields) >= 2 && fields[0] == module && strings.HasPrefix(fields[1], "v") {
			return fields[1], nil
		}
	}
	return "", fmt.Errorf("%s/go.mod requires no %s", dir, module)
}

// versionFlags stamp the release into the components, as Kubernetes' own build does: the API
// server reports it (helm checks a chart's kubeVersion against it) and so do the kubelets.
func versionFlags(version string) string {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	var flags []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		flags = append(flags,
			"-X "+pkg+".gitVersion="+version,
			"-X "+pkg+".gitMajor="+parts[0],
			"-X "+pkg+".gitMinor="+parts[1],
			"-X "+pkg+".gitTreeState=clean",
		)
	}
	return strings.Join(flags, " ")
}

// image is one archive to import into every node's containerd, and the names it goes by there.
type image struct {
	archive string
	names   []string
}

// buildImages runs cluster/images/build.sh, which builds what is missing or stale and prints one
// line per image: the archive, then every name it must carry.
func buildImages(source string) ([]image, error) {
	var images []image
	err := step("images (busybox, nginx, pause, CoreDNS, swarmnet from the Dockerfile); built once, then reused", func() error {
		script := filepath.Join(source, "images", "build.sh")
		cmd := exec.Command(script, filepath.Join(cacheRoot, "images"), filepath.Join(cacheRoot, "bin"))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("%s: %w", script, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				images = append(images, image{archive: fields[0], names: fields[1:]})
			}
		}
		if len(images) == 0 {
			return fmt.Errorf("%s listed no images", script)
		}
		return nil
	})
	return images, err
}

// importImages loads every image into the node's containerd under all of its names, in the
// namespace the kubelet's CRI uses, unpacked for the overlayfs snapshotter.
func (c *cluster) importImages(n node, images []image) error {
	sock := "/run/containerd/containerd.sock"
	if err := waitFor(n.Name+" containerd socket", 30e9, func() (bool, error) {
		err := run("nsenter", "--mount="+mountNamespaceFile(n), "--", "ctr", "--address", sock, "version")
		return err == nil, err
	}, c.daemonDied(n.Name+"-containerd")); err != nil {
		return err
	}
	ctr := func(args ...string) error {
		return run("nsenter", append([]string{"--mount=" + mountNamespaceFile(n), "--", "ctr", "--address", sock, "--namespace", "k8s.io"}, args...)...)
	}
	for _, img := range images {
		if err := ctr("images", "import", img.archive); err != nil {
			return err
		}
		for _, name := range img.names[1:] {
			if err := ctr("images", "tag", "--force", img.names[0], name); err != nil {
				return err
			}
		}
	}
	return nil
}
