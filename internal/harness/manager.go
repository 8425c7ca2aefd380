package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// AWSEnv is what the manager learns of AWS: only the standard variables,
// as a Deployment with static keys (or IRSA's equivalents) would set them.
type AWSEnv struct {
	Endpoint        string // AWS_ENDPOINT_URL (localaws)
	AccessKeyID     string
	SecretAccessKey string
	Region          string
}

// ManagerOptions configure one manager process.
type ManagerOptions struct {
	// Binary is the manager (go build -o bin/manager .).
	Binary string
	// Args are its flags; the metrics and probe addresses are added.
	Args []string
	// Kubeconfig is the identity it runs as.
	Kubeconfig string
	// Namespace is POD_NAMESPACE, as the Deployment's downward API sets it.
	Namespace string
	AWS       AWSEnv
	// LogPath receives its standard output and error (truncated first).
	LogPath string
}

// Manager is one manager process.
type Manager struct {
	o ManagerOptions
	// MetricsAddr and ProbeAddr are its listeners.
	MetricsAddr, ProbeAddr string
	// Started is when the process was started, Ready when /readyz first
	// answered 200.
	Started, Ready time.Time
	cmd            *exec.Cmd
	exited         chan struct{}
	exitErr        error
}

// NewManager picks the manager's listen addresses; Start runs it.
func NewManager(o ManagerOptions) (*Manager, error) {
	metrics, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	probe, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	return &Manager{o: o, MetricsAddr: metrics, ProbeAddr: probe}, nil
}

// Args is the manager's full command line, less the binary.
func (m *Manager) Args() []string {
	return append(append([]string{}, m.o.Args...),
		"--metrics-bind-address="+m.MetricsAddr,
		"--health-probe-bind-address="+m.ProbeAddr)
}

// CommandLine shows how the manager is run, secret elided, for the log.
func (m *Manager) CommandLine() string {
	return fmt.Sprintf("AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=... AWS_REGION=%s KUBECONFIG=%s \\\n      %s %s",
		m.o.AWS.Endpoint, m.o.AWS.AccessKeyID, m.o.AWS.Region, Rel(m.o.Kubeconfig), Rel(m.o.Binary), strings.Join(m.Args(), " "))
}

// Start runs the manager and waits until /readyz answers 200 (at most a
// minute).
func (m *Manager) Start(ctx context.Context) error {
	logFile, err := os.Create(m.o.LogPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(m.o.Binary, m.Args()...)
	cmd.Env = append(EnvironWithout("AWS_", "KUBECONFIG", "POD_NAMESPACE="),
		"POD_NAMESPACE="+m.o.Namespace,
		"KUBECONFIG="+m.o.Kubeconfig,
		"AWS_ENDPOINT_URL="+m.o.AWS.Endpoint,
		"AWS_ACCESS_KEY_ID="+m.o.AWS.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+m.o.AWS.SecretAccessKey,
		"AWS_REGION="+m.o.AWS.Region,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: Ctrl-C reaches the caller, which stops the
	// manager before the control plane. Should the caller die without
	// tearing down, the kernel stops the manager.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	m.Started = time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting the manager: %w", err)
	}
	m.cmd = cmd
	m.exited = make(chan struct{})
	go func() {
		m.exitErr = cmd.Wait()
		logFile.Close()
		close(m.exited)
	}()
	return m.waitReady(ctx)
}

func (m *Manager) waitReady(ctx context.Context) error {
	readyz := "http://" + m.ProbeAddr + "/readyz"
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(readyz)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				m.Ready = time.Now()
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the manager was not ready within a minute (%s)", readyz)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.exited:
			return m.ExitError()
		case <-tick.C:
		}
	}
}

// Exited is closed when the process has exited.
func (m *Manager) Exited() <-chan struct{} { return m.exited }

// HasExited reports whether the process has exited.
func (m *Manager) HasExited() bool {
	select {
	case <-m.exited:
		return true
	default:
		return false
	}
}

// ExitError says that the process exited, and how, once Exited is closed.
func (m *Manager) ExitError() error {
	if m.exitErr == nil {
		return errors.New("the manager exited")
	}
	return fmt.Errorf("the manager exited: %w", m.exitErr)
}

// Stop sends SIGTERM, as a Deployment rollout does, and kills the process
// if it has not exited within grace. It reports whether it had to kill.
func (m *Manager) Stop(grace time.Duration) (killed bool) {
	if m.cmd == nil || m.cmd.Process == nil || m.HasExited() {
		return false
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
		return false
	case <-time.After(grace):
		_ = m.cmd.Process.Kill()
		<-m.exited
		return true
	}
}

// Usage is what the kernel accounts to a process.
type Usage struct {
	// PeakRSS is VmHWM, the most resident memory it has used.
	PeakRSS int64
	// CPU is user plus system time.
	CPU time.Duration
}

// Usage reads the running process's peak RSS and CPU time from /proc.
func (m *Manager) Usage() (Usage, error) {
	if m.cmd == nil || m.cmd.Process == nil || m.HasExited() {
		return Usage{}, fmt.Errorf("the manager is not running")
	}
	return ProcUsage(m.cmd.Process.Pid)
}

// OpenFDs counts the running process's open file descriptors (every
// connection is one), from /proc: no work for the process itself.
func (m *Manager) OpenFDs() (int, error) {
	if m.cmd == nil || m.cmd.Process == nil || m.HasExited() {
		return 0, fmt.Errorf("the manager is not running")
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", m.cmd.Process.Pid))
	return len(fds), err
}

// userHZ is the unit of the times in /proc/<pid>/stat: USER_HZ, which the
// kernel fixes at 100 for user space on every architecture Go runs on.
const userHZ = 100

// ProcUsage reads VmHWM from /proc/<pid>/status and utime+stime from
// /proc/<pid>/stat.
func ProcUsage(pid int) (Usage, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Usage{}, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Usage{}, err
	}
	return ParseProcUsage(string(status), string(stat))
}

// ParseProcUsage reads VmHWM (kB) from a /proc/<pid>/status text and
// utime and stime (fields 14 and 15, in USER_HZ ticks) from a
// /proc/<pid>/stat line.
func ParseProcUsage(status, stat string) (Usage, error) {
	var u Usage
	found := false
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return Usage{}, fmt.Errorf("VmHWM: %w", err)
			}
			u.PeakRSS, found = kb*1024, true
		}
	}
	if !found {
		return Usage{}, fmt.Errorf("no VmHWM in /proc status")
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields from after its closing parenthesis, where field 3 is.
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return Usage{}, fmt.Errorf("malformed /proc stat")
	}
	fields := strings.Fields(stat[end+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return Usage{}, fmt.Errorf("malformed /proc stat: %d fields", len(fields)+2)
	}
	var ticks int64
	for _, i := range []int{utime, stime} {
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			return Usage{}, fmt.Errorf("/proc stat field %d: %w", i+3, err)
		}
		ticks += n
	}
	u.CPU = time.Duration(ticks) * time.Second / userHZ
	return u, nil
}

// Metrics scrapes the manager's Prometheus endpoint.
func (m *Manager) Metrics(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+m.MetricsAddr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

// MetricSum adds up the values (counter, gauge or untyped) of the series
// of family name whose labels include all of match.
func MetricSum(families map[string]*dto.MetricFamily, name string, match map[string]string) float64 {
	f, ok := families[name]
	if !ok {
		return 0
	}
	var sum float64
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range match {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}
