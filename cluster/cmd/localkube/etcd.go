package main

import (
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/embed"
)

// newEtcdCommand serves an embedded single-member etcd: the version the Kubernetes release pins,
// without a separate etcd binary.
func newEtcdCommand() *cobra.Command {
	var dataDir, listen string
	command := &cobra.Command{
		Use:          "etcd",
		Short:        "a single-member etcd for the local control plane",
		SilenceUsage: true,
		RunE: func(*cobra.Command, []string) error {
			client, err := url.Parse(listen)
			if err != nil {
				return fmt.Errorf("etcd: --listen-client-url %q: %w", listen, err)
			}
			peer, _ := url.Parse("http://127.0.0.1:0")
			config := embed.NewConfig()
			config.Dir = dataDir
			config.ListenClientUrls = []url.URL{*client}
			config.AdvertiseClientUrls = []url.URL{*client}
			// a single member never talks to peers; a unix socket keeps the peer port off the network
			peerSocket, _ := url.Parse("unix://" + dataDir + "/peer.sock")
			config.ListenPeerUrls = []url.URL{*peerSocket}
			config.AdvertisePeerUrls = []url.URL{*peer}
			config.InitialCluster = config.InitialClusterFromName(config.Name)
			config.LogLevel = "warn"
			server, err := embed.StartEtcd(config)
			if err != nil {
				return fmt.Errorf("etcd: %w", err)
			}
			defer server.Close()
			select {
			case <-server.Server.ReadyNotify():
				fmt.Fprintln(os.Stderr, "etcd: ready on", listen)
			case <-time.After(60 * time.Second):
				return fmt.Errorf("etcd: not ready after 60 s")
			}
			stop := make(chan os.Signal, 1)
			signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
			select {
			case <-stop:
				return nil
			case err := <-server.Err():
				return err
			}
		},
	}
	command.Flags().StringVar(&dataDir, "data-dir", "", "where etcd keeps its data")
	command.Flags().StringVar(&listen, "listen-client-url", "http://127.0.0.1:2379", "the client URL")
	_ = command.MarkFlagRequired("data-dir")
	return command
}
