// Package image checks the Dockerfile without a Docker engine: it replays
// the build stage's WORKDIR, COPY and RUN instructions in a temporary
// directory standing in for the builder's filesystem (COPY reads from the
// build context, less .dockerignore), and checks that the binary the run
// stage copies is a static, stripped, trimmed Linux executable that accepts
// the flags config/manager gives it.
package image

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"
)

// root is the repository root: the build context.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case
	args string
}

type stage struct {
	from, name string
	steps      []instruction
}

// parseDockerfile splits a Dockerfile into stages.
func parseDockerfile(text string) ([]stage, error) {
	var stages []stage
	var cur strings.Builder
	var err error
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" || err != nil {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			s := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			return
		}
		if len(stages) == 0 {
			err = fmt.Errorf("Dockerfile: %s before FROM", in.cmd)
			return
		}
		stages[len(stages)-1].steps = append(stages[len(stages)-1].steps, in)
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages, err
}

// dockerignore is a .dockerignore's patterns. Supported: "dir/" (the
// directory and everything in it) and filepath.Match globs over the path
// from the context root; negations are refused, so that the test never
// reads a pattern differently from Docker.
type dockerignore []string

func readDockerignore() (dockerignore, error) {
	b, err := os.ReadFile(filepath.Join(root(), ".dockerignore"))
	if err != nil {
		return nil, err
	}
	var out dockerignore
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") || strings.Contains(l, "**") {
			return nil, fmt.Errorf(".dockerignore: %q is beyond what this test models; extend it", l)
		}
		out = append(out, l)
	}
	return out, nil
}

func (d dockerignore) ignored(rel string) bool {
	for _, p := range d {
		if strings.HasSuffix(p, "/") {
			dir := strings.TrimSuffix(p, "/")
			if rel == dir || strings.HasPrefix(rel, dir+"/") {
				return true
			}
			continue
		}
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
	}
	return false
}

// builder replays a build stage in dir.
type builder struct {
	fs      string // the builder's filesystem root
	workdir string // absolute, inside the image
	ignore  dockerignore
}

func (b *builder) host(p string) string {
	if !path.IsAbs(p) {
		p = path.Join(b.workdir, p)
	}
	return filepath.Join(b.fs, filepath.FromSlash(p))
}

// copyFromContext runs COPY src... dst.
func (b *builder) copyFromContext(args string) error {
	f := strings.Fields(args)
	if len(f) < 2 {
		return fmt.Errorf("COPY %s: need a source and a destination", args)
	}
	for _, x := range f {
		if strings.HasPrefix(x, "--") {
			return fmt.Errorf("COPY %s: flag %s is beyond what this test models", args, x)
		}
	}
	srcs, dst := f[:len(f)-1], f[len(f)-1]
	toDir := strings.HasSuffix(dst, "/") || len(srcs) > 1
	for _, src := range srcs {
		rel := path.Clean(src)
		if b.ignore.ignored(rel) {
			return fmt.Errorf("COPY %s: .dockerignore leaves %s out of the build context", args, src)
		}
		hostSrc := filepath.Join(root(), filepath.FromSlash(rel))
		info, err := os.Stat(hostSrc)
		if err != nil {
			return fmt.Errorf("COPY %s: %w", args, err)
		}
		if info.IsDir() {
			// COPY dir/ dst/ copies the directory's contents into dst.
			err = filepath.WalkDir(hostSrc, func(p string, e fs.DirEntry, err error) error {
				if err != nil || e.IsDir() {
					return err
				}
				inside, _ := filepath.Rel(hostSrc, p)
				ctxRel := path.Join(rel, filepath.ToSlash(inside))
				if b.ignore.ignored(ctxRel) {
					return nil
				}
				return copyFile(p, filepath.Join(b.host(dst), inside))
			})
		} else {
			target := b.host(dst)
			if toDir {
				target = filepath.Join(target, filepath.Base(hostSrc))
			}
			err = copyFile(hostSrc, target)
		}
		if err != nil {
			return fmt.Errorf("COPY %s: %w", args, err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// run runs a RUN instruction (shell form) with the machine's Go, as the
// golang image would with its own.
func (b *builder) run(args string) error {
	if strings.HasPrefix(args, "[") || strings.HasPrefix(args, "--") {
		return fmt.Errorf("RUN %s: only the plain shell form is modelled", args)
	}
	cmd := exec.Command("sh", "-c", args)
	cmd.Dir = b.host(".")
	// The image has no GOFLAGS; the machine's module cache stands in for
	// the download.
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("RUN %s: %w\n%s", args, err, out)
	}
	return nil
}

var (
	buildOnce   sync.Once
	builtBinary string
	buildErr    string
	stagesSeen  []stage
)

// buildImage replays the Dockerfile's build stage once per test binary and
// returns the path of the file the run stage copies.
func buildImage(t *testing.T) (string, []stage) {
	t.Helper()
	buildOnce.Do(func() {
		t.Log("replaying the Dockerfile's build stage (compiles the manager with -trimpath)")
		text, err := os.ReadFile(filepath.Join(root(), "Dockerfile"))
		if err != nil {
			buildErr = err.Error()
			return
		}
		if stagesSeen, err = parseDockerfile(string(text)); err != nil {
			buildErr = err.Error()
			return
		}
		if len(stagesSeen) != 2 {
			buildErr = fmt.Sprintf("want a build stage and a run stage, found %d stages", len(stagesSeen))
			return
		}
		dir, err := os.MkdirTemp("", "dockerfile-test-")
		if err != nil {
			buildErr = err.Error()
			return
		}
		tempDirs = append(tempDirs, dir)
		ignore, err := readDockerignore()
		if err != nil {
			buildErr = err.Error()
			return
		}
		b := &builder{fs: dir, workdir: "/", ignore: ignore}
		for _, in := range stagesSeen[0].steps {
			switch in.cmd {
			case "WORKDIR":
				b.workdir = path.Join(b.workdir, in.args)
				err = os.MkdirAll(b.host("."), 0o755)
			case "COPY":
				err = b.copyFromContext(in.args)
			case "RUN":
				err = b.run(in.args)
			default:
				err = fmt.Errorf("build stage: %s is beyond what this test models; extend it", in.cmd)
			}
			if err != nil {
				buildErr = err.Error()
				return
			}
		}
		// The run stage copies <src> from the builder.
		for _, in := range stagesSeen[1].steps {
			if in.cmd == "COPY" && strings.HasPrefix(in.args, "--from="+stagesSeen[0].name+" ") {
				f := strings.Fields(in.args)
				builtBinary = filepath.Join(dir, filepath.FromSlash(f[1]))
			}
		}
		if builtBinary == "" {
			buildErr = "the run stage copies nothing from the build stage"
		}
	})
	if buildErr != "" {
		t.Fatal(buildErr)
	}
	return builtBinary, stagesSeen
}

var tempDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

func TestDockerfileStages(t *testing.T) {
	_, stages := buildImage(t)
	gomod, err := os.ReadFile(filepath.Join(root(), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goVersion == nil {
		t.Fatal("go.mod has no go directive")
	}
	if want := "golang:" + string(goVersion[1]); stages[0].from != want {
		t.Errorf("build stage FROM %s, want %s (go.mod's go version)", stages[0].from, want)
	}
	if stages[1].from != "gcr.io/distroless/static:nonroot" {
		t.Errorf("run stage FROM %s, want gcr.io/distroless/static:nonroot", stages[1].from)
	}
	want := map[string]string{"USER": "65532:65532", "ENTRYPOINT": `["/manager"]`}
	for _, in := range stages[1].steps {
		if w, ok := want[in.cmd]; ok {
			if in.args != w {
				t.Errorf("run stage %s %s, want %s", in.cmd, in.args, w)
			}
			delete(want, in.cmd)
		}
	}
	for cmd, w := range want {
		t.Errorf("run stage has no %s (want %s)", cmd, w)
	}
	build := regexp.MustCompile(`^CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o manager \.$`)
	found := false
	for _, in := range stages[0].steps {
		if in.cmd == "RUN" && build.MatchString(in.args) {
			found = true
		}
	}
	if !found {
		t.Errorf("build stage has no RUN matching %s", build)
	}
}

func TestDockerfileBuildsAStaticBinary(t *testing.T) {
	bin, _ := buildImage(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the run stage's binary %s: %v", bin, err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC {
		t.Errorf("ELF type %s, want ET_EXEC (a static, non-PIE executable)", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary has a program interpreter (PT_INTERP): it is dynamically linked and will not run on distroless/static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("the binary has a symbol table: -ldflags '-s' did not apply")
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			t.Errorf("the binary has DWARF section %s: -ldflags '-w' did not apply", s.Name)
			break
		}
	}

	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != "github.com/tenantstorage/tenantstorage-operator" {
		t.Errorf("main package %s, want the module root", info.Path)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// Go does not record -ldflags when -trimpath is set; the section
	// checks above stand in for it.
	for k, v := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "GOOS": "linux"} {
		if settings[k] != v {
			t.Errorf("build setting %s=%q, want %q", k, settings[k], v)
		}
	}
}

// TestDeploymentArgsAreManagerFlags runs the image's binary with -help and
// checks that every flag config/manager passes exists, so that a renamed
// flag cannot leave the Deployment crash-looping.
func TestDeploymentArgsAreManagerFlags(t *testing.T) {
	bin, _ := buildImage(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "-help")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -help: %v\n%s", bin, err, stderr.String())
	}
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`).FindAllStringSubmatch(stderr.String()+stdout.String(), -1) {
		defined[m[1]] = true
	}
	if !defined["service-role-arn"] {
		t.Fatalf("-help lists no -service-role-arn; cannot read it:\n%s", stderr.String())
	}

	raw, err := os.ReadFile(filepath.Join(root(), "config", "manager", "manager.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var dep struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Name    string   `json:"name"`
						Command []string `json:"command"`
						Args    []string `json:"args"`
					} `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &dep); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name != "manager" {
			continue
		}
		if len(c.Command) != 1 || c.Command[0] != "/manager" {
			t.Errorf("manager container command %v, want [/manager] (the image's ENTRYPOINT)", c.Command)
		}
		for _, a := range c.Args {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !defined[name] {
				t.Errorf("config/manager passes %s, but the manager has no -%s flag", a, name)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("config/manager/manager.yaml has no manager container with args")
	}
}
