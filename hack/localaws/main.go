// Command localaws serves the offline AWS emulator (STS, S3, KMS) for a
// world file:
//
//	go run ./hack/localaws --world world.yaml --addr 127.0.0.1:0
//
// Once serving it prints AWS_ENDPOINT_URL=http://127.0.0.1:PORT on its own
// line, for scripts to pick up, and runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
)

func main() {
	worldPath := flag.String("world", "", "world file (YAML) describing accounts, roles, buckets and keys")
	addr := flag.String("addr", "127.0.0.1:0", "listen address; keep it on loopback")
	flag.Parse()
	if *worldPath == "" {
		log.Fatal("localaws: --world is required")
	}
	w, err := localaws.LoadWorld(*worldPath)
	if err != nil {
		log.Fatalf("localaws: %v", err)
	}
	srv, err := localaws.New(w)
	if err != nil {
		log.Fatalf("localaws: %v", err)
	}
	url, err := srv.Start(*addr)
	if err != nil {
		log.Fatalf("localaws: %v", err)
	}
	fmt.Printf("AWS_ENDPOINT_URL=%s\n", url)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		log.Fatalf("localaws: %v", err)
	}
}
