package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// write prints the results and writes them to the output directory:
// results.md, the plot time-to-ready.png and the raw times
// time-to-ready.csv.
func (b *bench) write() error {
	var md bytes.Buffer
	b.res.render(&md)
	fmt.Fprintf(b.out, "\n%s\n", md.String())
	files := map[string][]byte{"results.md": md.Bytes()}

	var img bytes.Buffer
	title := fmt.Sprintf("Share of %d tenants applied at once that are Ready, by time since apply (%s per AWS call)", b.o.n, ms(b.o.latency))
	f := b.res.Fleet
	marks := []mark{
		{At: f.P50, Label: "p50 " + secs(f.P50), Color: color.RGBA{44, 160, 44, 255}},
		{At: f.P99, Label: "p99 " + secs(f.P99), Color: color.RGBA{214, 39, 40, 255}},
	}
	if err := png.Encode(&img, plotCDF(b.fleetTimes, title, "seconds from apply to Ready", marks)); err != nil {
		return err
	}
	files["time-to-ready.png"] = img.Bytes()

	var raw bytes.Buffer
	w := csv.NewWriter(&raw)
	_ = w.Write([]string{"tenant", "apply_to_ready_ms"})
	for i, t := range b.fleet {
		_ = w.Write([]string{t.name, strconv.FormatInt(b.fleetTimes[i].Milliseconds(), 10)})
	}
	w.Flush()
	files["time-to-ready.csv"] = raw.Bytes()

	for name, data := range files {
		if err := os.WriteFile(filepath.Join(b.o.output, name), data, 0o644); err != nil {
			return err
		}
	}
	b.logf("wrote results.md, time-to-ready.png and time-to-ready.csv to %s", b.o.output)
	return nil
}

// machine describes this machine: cores, CPU, memory, and how busy it was.
func machine() string {
	cpu, mem, load := "unknown CPU", "unknown memory", "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Fields(string(b))[0]
	}
	return fmt.Sprintf("%d cores (%s), %s, %s/%s, %s, load average %s at the start (%s)",
		runtime.NumCPU(), cpu, mem, runtime.GOOS, runtime.GOARCH, runtime.Version(), load, time.Now().UTC().Format("2006-01-02"))
}
