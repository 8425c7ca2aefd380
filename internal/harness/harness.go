// Package harness runs the operator end to end on one machine, for the demo
// (hack/demo) and the fleet benchmark (hack/bench): a real kube-apiserver and
// etcd (controller-runtime's envtest, with the binaries hack/control-plane.sh
// builds), and the real manager binary as a child process configured only
// through its flags and the standard AWS variables. localaws, the AWS side,
// runs in the caller's process so that the caller can inject faults and read
// the call records directly.
package harness

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Logf prints one progress line.
type Logf func(format string, args ...any)

// FreeAddr returns a loopback address that was free a moment ago, for the
// manager's metrics and probe listeners.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// EnvironWithout is the environment less the variables with these
// prefixes, so that no AWS profile or cluster of the person's leaks into a
// child process.
func EnvironWithout(prefixes ...string) []string {
	var out []string
next:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// DecodeAll reads a stream of YAML or JSON objects.
func DecodeAll(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, err
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// Rel shortens path to be relative to the working directory when it is
// inside it, for printing.
func Rel(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// Indent prefixes every line of b with two spaces.
func Indent(b []byte) string {
	var sb strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		sb.WriteString("  " + sc.Text() + "\n")
	}
	return sb.String()
}

// Truncate shortens s to n bytes, ending in "...".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// LastLines returns the last n lines of a file, or "".
func LastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
