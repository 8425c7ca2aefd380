// Package manifests checks config/ against a real kube-apiserver (envtest):
// config/default passes a server-side dry run, its Deployment's pod passes
// the restricted Pod Security Standard its namespace enforces, config/crd
// installs the CRD and the samples pass admission. It also checks what an
// API server cannot: the Deployment's hardening, probes and flags, and that
// the optional ServiceMonitor selects the metrics Service.
package manifests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/tenantstorage/tenantstorage-operator/internal/testenv"
)

var (
	env       *envtest.Environment
	k8sClient client.Client
	// admin runs kubectl (see kubectl below).
	admin *envtest.AuthenticatedUser
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	env, err = testenv.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The CRD comes from config/crd (TestCRDAndSamples), not from envtest,
	// so that config/default's dry run sees a cluster without it.
	env.CRDDirectoryPaths, env.ErrorIfCRDPathMissing = nil, false
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	if k8sClient, err = client.New(cfg, client.Options{Scheme: scheme.Scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if admin, err = env.AddUser(envtest.User{Name: "kubectl-admin", Groups: []string{"system:masters"}}, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func configDir(name string) string {
	return filepath.Join(testenv.Root(), "config", name)
}

// kubectl runs kubectl (from the control plane's assets) as the admin user.
func kubectl(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	k, err := admin.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	o, e, err := k.Run(args...)
	var ob, eb []byte
	if o != nil {
		ob, _ = io.ReadAll(o)
	}
	if e != nil {
		eb, _ = io.ReadAll(e)
	}
	return string(ob), string(eb), err
}

// build runs kubectl kustomize on a config directory.
func build(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	out, stderr, err := kubectl(t, "kustomize", configDir(dir))
	if err != nil {
		t.Fatalf("kubectl kustomize config/%s: %v\n%s", dir, err, stderr)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("config/%s: %v", dir, err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

func only(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	var found *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			if found != nil {
				t.Fatalf("more than one %s", kind)
			}
			found = o
		}
	}
	if found == nil {
		t.Fatalf("no %s", kind)
	}
	return found
}

func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(only(t, objs, "Deployment").Object, d, true); err != nil {
		t.Fatalf("the Deployment: %v", err)
	}
	return d
}

// ensureNamespace creates config/default's Namespace for real, the way the
// first `kubectl apply -k config/default` does before the namespaced
// objects: a dry run alone cannot create it, so every namespaced object
// would fail with "namespace not found".
func ensureNamespace(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	ns := only(t, objs, "Namespace")
	file := filepath.Join(t.TempDir(), "namespace.yaml")
	j, err := ns.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, j, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := kubectl(t, "apply", "-f", file); err != nil {
		t.Fatalf("creating namespace %s: %v\n%s", ns.GetName(), err, stderr)
	}
	return ns.GetName()
}

func TestDefaultPassesServerDryRun(t *testing.T) {
	objs := build(t, "default")
	ensureNamespace(t, objs)

	stdout, stderr, err := kubectl(t, "apply", "--dry-run=server", "-k", configDir("default"))
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server -k config/default: %v\n%s%s", err, stdout, stderr)
	}
	// No warnings either: a Pod Security violation of the Deployment's pod
	// template, or a deprecated API, shows up here.
	if strings.TrimSpace(stderr) != "" {
		t.Errorf("kubectl apply --dry-run=server -k config/default warned:\n%s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(objs) {
		t.Errorf("the dry run applied %d objects, config/default has %d:\n%s", len(lines), len(objs), stdout)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, "(server dry run)") {
			t.Errorf("not a server dry run: %s", l)
		}
	}
	for _, kind := range []string{"Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"} {
		if !strings.Contains(stdout, strings.ToLower(kind)) {
			t.Errorf("config/default has no %s:\n%s", kind, stdout)
		}
	}
}

// TestManagerPodMeetsRestrictedPodSecurity creates the Deployment's pod
// (dry run) in the namespace that enforces the restricted standard: the API
// server's PodSecurity admission refuses it if it does not comply. A pod
// stripped of its security context must be refused, or the check proves
// nothing.
func TestManagerPodMeetsRestrictedPodSecurity(t *testing.T) {
	objs := build(t, "default")
	ns := ensureNamespace(t, objs)
	nsObj := only(t, objs, "Namespace")
	if got := nsObj.GetLabels()["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Fatalf("namespace %s enforces Pod Security %q, want restricted", ns, got)
	}
	d := deployment(t, objs)
	if d.Namespace != ns {
		t.Fatalf("the Deployment is in %q, not in config/default's namespace %q", d.Namespace, ns)
	}
	pod := func() *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "manager-", Labels: d.Spec.Template.Labels},
			Spec:       *d.Spec.Template.Spec.DeepCopy(),
		}
	}
	ctx := context.Background()
	if err := k8sClient.Create(ctx, pod(), client.DryRunAll); err != nil {
		t.Fatalf("the manager's pod is refused in %s: %v", ns, err)
	}

	bare := pod()
	bare.Spec.SecurityContext = nil
	for i := range bare.Spec.Containers {
		bare.Spec.Containers[i].SecurityContext = nil
	}
	err := k8sClient.Create(ctx, bare, client.DryRunAll)
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "PodSecurity") {
		t.Fatalf("a pod without a security context was not refused by PodSecurity: %v", err)
	}
}

func TestDeploymentHardening(t *testing.T) {
	objs := build(t, "default")
	d := deployment(t, objs)
	sa := only(t, objs, "ServiceAccount")
	spec := d.Spec.Template.Spec
	if spec.ServiceAccountName != sa.GetName() || d.Namespace != sa.GetNamespace() {
		t.Errorf("the pod runs as %s/%s, config/rbac's ServiceAccount is %s/%s", d.Namespace, spec.ServiceAccountName, sa.GetNamespace(), sa.GetName())
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and seccompProfile RuntimeDefault", psc)
	}
	if psc != nil && (psc.RunAsUser == nil || *psc.RunAsUser != 65532) {
		t.Errorf("pod runAsUser %v, want 65532 (the image's USER)", psc.RunAsUser)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want the manager only", len(spec.Containers))
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0 {
		t.Errorf("container securityContext %+v: want readOnlyRootFilesystem, no privilege escalation, capabilities drop ALL", sc)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("%s request %s / limit %s: want both, request <= limit", r, req.String(), lim.String())
		}
	}
	for name, p := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != name || p.HTTPGet.Port.IntValue() != 8081 {
			t.Errorf("probe %s: got %+v, want an HTTP GET of %s on :8081", name, p, name)
		}
	}
	args := strings.Join(c.Args, " ")
	for _, want := range []string{"--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8080", "--service-role-arn=", "--client-role-pattern="} {
		if !strings.Contains(args, want) {
			t.Errorf("the manager's args %q lack %s", args, want)
		}
	}
	podNamespace := false
	for _, e := range c.Env {
		podNamespace = podNamespace || (e.Name == "POD_NAMESPACE" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace")
	}
	if !podNamespace {
		t.Errorf("the manager gets no POD_NAMESPACE from the downward API (its --namespace default)")
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["metrics"] != 8080 || ports["health"] != 8081 {
		t.Errorf("container ports %v: want metrics 8080 and health 8081", ports)
	}
}

// TestLeaderElectionRBAC checks that the leader-election Role lives where the
// manager runs and lets its ServiceAccount hold a Lease.
func TestLeaderElectionRBAC(t *testing.T) {
	objs := build(t, "default")
	sa := only(t, objs, "ServiceAccount")
	role, binding := only(t, objs, "Role"), only(t, objs, "RoleBinding")
	if role.GetNamespace() != sa.GetNamespace() || binding.GetNamespace() != sa.GetNamespace() {
		t.Errorf("leader election Role in %q and RoleBinding in %q, the manager in %q", role.GetNamespace(), binding.GetNamespace(), sa.GetNamespace())
	}
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	lease := false
	for _, r := range rules {
		r := r.(map[string]any)
		if fmt.Sprint(r["apiGroups"]) == "[coordination.k8s.io]" && fmt.Sprint(r["resources"]) == "[leases]" {
			verbs := fmt.Sprint(r["verbs"])
			lease = strings.Contains(verbs, "create") && strings.Contains(verbs, "update") && strings.Contains(verbs, "get")
		}
	}
	if !lease {
		t.Errorf("the leader election Role does not allow get, create and update on leases: %v", rules)
	}
	for _, b := range []*unstructured.Unstructured{binding, only(t, objs, "ClusterRoleBinding")} {
		subjects, _, _ := unstructured.NestedSlice(b.Object, "subjects")
		if len(subjects) != 1 {
			t.Errorf("%s %s: %d subjects, want the manager's ServiceAccount", b.GetKind(), b.GetName(), len(subjects))
			continue
		}
		s := subjects[0].(map[string]any)
		if s["kind"] != "ServiceAccount" || s["name"] != sa.GetName() || s["namespace"] != sa.GetNamespace() {
			t.Errorf("%s %s binds %v, want ServiceAccount %s/%s", b.GetKind(), b.GetName(), s, sa.GetNamespace(), sa.GetName())
		}
	}
}

// TestCRDAndSamples installs the CRD from config/crd for real and applies
// the samples with a server-side dry run: they must pass admission (the
// CRD's schema and CEL rules).
func TestCRDAndSamples(t *testing.T) {
	if stdout, stderr, err := kubectl(t, "apply", "-k", configDir("crd")); err != nil {
		t.Fatalf("kubectl apply -k config/crd: %v\n%s%s", err, stdout, stderr)
	}
	if stdout, stderr, err := kubectl(t, "wait", "--for=condition=Established", "--timeout=60s", "crd/tenantstorages.storage.tenantstorage.dev"); err != nil {
		t.Fatalf("the CRD did not become established: %v\n%s%s", err, stdout, stderr)
	}
	samples := build(t, "samples")
	if len(samples) == 0 {
		t.Fatal("config/samples is empty")
	}
	stdout, stderr, err := kubectl(t, "apply", "--dry-run=server", "-n", "default", "-k", configDir("samples"))
	if err != nil {
		t.Fatalf("the samples do not pass admission: %v\n%s%s", err, stdout, stderr)
	}
	if strings.TrimSpace(stderr) != "" {
		t.Errorf("applying the samples warned:\n%s", stderr)
	}
	for _, s := range samples {
		if s.GetKind() != "TenantStorage" {
			t.Errorf("config/samples holds a %s", s.GetKind())
		}
		if want := "tenantstorage.storage.tenantstorage.dev/" + s.GetName() + " created (server dry run)"; !strings.Contains(stdout, want) {
			t.Errorf("want %q in:\n%s", want, stdout)
		}
	}

	// The dry run must be able to fail: a sample with a key outside its
	// region is refused.
	bad := samples[0].DeepCopy()
	if err := unstructured.SetNestedField(bad.Object, "eu-west-1", "spec", "region"); err != nil {
		t.Fatal(err)
	}
	bad.SetNamespace("default")
	err = k8sClient.Create(context.Background(), bad, client.DryRunAll)
	if !apierrors.IsInvalid(err) {
		t.Errorf("a sample with its key outside its region was not refused: %v", err)
	}
}

func TestPrometheusMonitorSelectsTheMetricsService(t *testing.T) {
	defaults := build(t, "default")
	svc := only(t, defaults, "Service")
	mon := only(t, build(t, "prometheus"), "ServiceMonitor")
	if mon.GetNamespace() != svc.GetNamespace() {
		t.Errorf("the ServiceMonitor is in %q, the metrics Service in %q", mon.GetNamespace(), svc.GetNamespace())
	}
	selector, _, _ := unstructured.NestedStringMap(mon.Object, "spec", "selector", "matchLabels")
	if len(selector) == 0 {
		t.Fatal("the ServiceMonitor selects nothing")
	}
	for k, v := range selector {
		if svc.GetLabels()[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s; the Service has %v", k, v, svc.GetLabels())
		}
	}
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	endpoints, _, _ := unstructured.NestedSlice(mon.Object, "spec", "endpoints")
	for _, e := range endpoints {
		port := e.(map[string]any)["port"]
		found := false
		for _, p := range ports {
			found = found || p.(map[string]any)["name"] == port
		}
		if !found {
			t.Errorf("the ServiceMonitor scrapes port %v; the Service has %v", port, ports)
		}
	}
	// The Service reaches the manager's pods on the metrics port.
	d := deployment(t, defaults)
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	for k, v := range sel {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the metrics Service selects %s=%s; the manager's pods have %v", k, v, d.Spec.Template.Labels)
		}
	}
	// And config/default leaves the ServiceMonitor out.
	for _, o := range defaults {
		if o.GetKind() == "ServiceMonitor" {
			t.Error("config/default includes the ServiceMonitor; it must stay optional")
		}
	}
}

// The generated ClusterRole must be what config/default deploys.
func TestGeneratedRoleIsDeployed(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(configDir("rbac"), "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	generated := &unstructured.Unstructured{}
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096).Decode(&generated.Object); err != nil {
		t.Fatal(err)
	}
	var deployed *unstructured.Unstructured
	for _, o := range build(t, "default") {
		if o.GetKind() == "ClusterRole" && strings.HasSuffix(o.GetName(), generated.GetName()) {
			deployed = o
		}
	}
	if deployed == nil {
		t.Fatalf("config/default deploys no ClusterRole named *%s", generated.GetName())
	}
	if fmt.Sprint(deployed.Object["rules"]) != fmt.Sprint(generated.Object["rules"]) {
		t.Errorf("config/default's %s rules differ from config/rbac/role.yaml", deployed.GetName())
	}
}
