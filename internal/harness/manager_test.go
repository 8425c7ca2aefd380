package harness

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestParseProcUsage(t *testing.T) {
	status := "Name:\tmanager\nVmPeak:\t 1300000 kB\nVmHWM:\t   81920 kB\nVmRSS:\t   70000 kB\n"
	// A command name with spaces and a parenthesis, as /proc allows.
	stat := "4242 (my (odd) mgr) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 12 0 100 1300000000 17500"
	u, err := ParseProcUsage(status, stat)
	if err != nil {
		t.Fatal(err)
	}
	if u.PeakRSS != 80<<20 {
		t.Errorf("peak RSS %d, want 80 MiB", u.PeakRSS)
	}
	if u.CPU != 3250*time.Millisecond {
		t.Errorf("CPU %v, want 3.25s (325 ticks of 10ms)", u.CPU)
	}
	if _, err := ParseProcUsage("Name:\tx\n", stat); err == nil {
		t.Error("no VmHWM accepted")
	}
	if _, err := ParseProcUsage(status, "4242 (x) S 1"); err == nil {
		t.Error("short stat accepted")
	}
}

func TestProcUsageOfThisProcess(t *testing.T) {
	u, err := ProcUsage(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if u.PeakRSS < 1<<20 {
		t.Errorf("peak RSS %d bytes: implausibly small", u.PeakRSS)
	}
}

func TestMetricSum(t *testing.T) {
	text := `# TYPE controller_runtime_reconcile_total counter
controller_runtime_reconcile_total{controller="tenantstorage",result="success"} 90
controller_runtime_reconcile_total{controller="tenantstorage",result="requeue_after"} 10
controller_runtime_reconcile_total{controller="other",result="success"} 7
# TYPE workqueue_depth gauge
workqueue_depth{controller="tenantstorage",name="tenantstorage"} 3
`
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := MetricSum(families, "controller_runtime_reconcile_total", map[string]string{"controller": "tenantstorage"}); got != 100 {
		t.Errorf("reconciles %g, want 100", got)
	}
	if got := MetricSum(families, "workqueue_depth", map[string]string{"name": "tenantstorage"}); got != 3 {
		t.Errorf("depth %g, want 3", got)
	}
	if got := MetricSum(families, "missing", nil); got != 0 {
		t.Errorf("missing family %g", got)
	}
}
