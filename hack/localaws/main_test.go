package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestMain lets the test binary stand in for the command: with
// LOCALAWS_MAIN set it runs main with the arguments after "--".
func TestMain(m *testing.M) {
	if os.Getenv("LOCALAWS_MAIN") != "" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"localaws"}, os.Args[i+1:]...)
				break
			}
		}
		flag.CommandLine = flag.NewFlagSet("localaws", flag.ExitOnError)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"--"}, args...)...)
	cmd.Env = append(os.Environ(), "LOCALAWS_MAIN=1")
	return cmd
}

func TestServesUntilSignal(t *testing.T) {
	cmd := command("--world", "../../internal/localaws/testdata/seeds-world.yaml", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Cleanup when the test fails early; after the clean exit below Kill
	// only reports os.ErrProcessDone.
	defer func() { _ = cmd.Process.Kill() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	endpoint, ok := strings.CutPrefix(strings.TrimSpace(line), "AWS_ENDPOINT_URL=http://127.0.0.1:")
	if !ok || endpoint == "" {
		t.Fatalf("first line %q", line)
	}
	url := "http://127.0.0.1:" + endpoint

	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIAVENDOR0SERVICE01", "vendor-service-secret-0000000000000000000", "")))
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::111111111111:user/document-storage-service" {
		t.Fatalf("GetCallerIdentity: %v %v", id, err)
	}
	resp, err := http.Get(url + "/_localaws/calls")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("control API: %v %v", resp, err)
	}
	resp.Body.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}

func TestRefusesBadWorld(t *testing.T) {
	for _, args := range [][]string{{}, {"--world", "/nonexistent.yaml"}} {
		out, err := command(args...).CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "localaws: ") {
			t.Errorf("%v: %v %s", args, err, out)
		}
	}
}
