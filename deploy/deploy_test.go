// Package deploy_test renders and checks everything under deploy/: the
// Kubernetes overlays (kustomize as a library, schemas from testdata), the
// compose trial's Keycloak realm and providers file (compose_test.go, which
// compares them with the demo data and so needs -tags dev), and the
// Dockerfile's rules. It is a module of its own, so that kustomize does not
// weigh on the portal's; `make manifests` and `make test` run it with
// -tags dev, and it needs neither network nor Docker.
package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kijun-portal/kijun/internal/config"
)

var overlays = []string{"dev", "prod"}

// render builds an overlay with kustomize and returns its objects.
func render(t *testing.T, overlay string) []map[string]any {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join("k8s", "overlays", overlay))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", overlay, err)
	}
	var out []map[string]any
	for _, r := range m.Resources() {
		b, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		out = append(out, obj)
	}
	return out
}

func TestManifestsValidate(t *testing.T) {
	for _, o := range overlays {
		t.Run(o, func(t *testing.T) {
			for _, obj := range render(t, o) {
				if err := schemas.check(obj); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestBrokenManifestsFail proves the schema check can fail: a misspelt
// field, a wrong type and a wrong CRD field are each refused.
func TestBrokenManifestsFail(t *testing.T) {
	objs := render(t, "prod")
	cases := []struct {
		kind   string
		break_ func(o map[string]any)
	}{
		{"Deployment", func(o map[string]any) { o["spec"].(map[string]any)["replica"] = 3 }},
		{"Deployment", func(o map[string]any) { o["spec"].(map[string]any)["replicas"] = "three" }},
		{"Deployment", func(o map[string]any) {
			c := dig(o, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
			c["livenessProbe"].(map[string]any)["httpGet"].(map[string]any)["pth"] = "/healthz"
		}},
		{"NetworkPolicy", func(o map[string]any) { o["spec"].(map[string]any)["policyType"] = []any{"Ingress"} }},
		{"Cluster", func(o map[string]any) { o["spec"].(map[string]any)["instances"] = "3" }},
		{"Cluster", func(o map[string]any) { o["spec"].(map[string]any)["synchronousReplicas"] = 1 }},
		{"ScheduledBackup", func(o map[string]any) { o["spec"].(map[string]any)["cluster"] = "kijun-db" }},
	}
	for i, c := range cases {
		o := copyOf(find(t, objs, c.kind, ""))
		c.break_(o)
		if err := schemas.check(o); err == nil {
			t.Errorf("case %d: a broken %s passed the schema check", i, c.kind)
		}
	}
}

// TestManifestRules checks what the schemas cannot: the operational rules
// of docs/operations.md.
func TestManifestRules(t *testing.T) {
	for _, o := range overlays {
		t.Run(o, func(t *testing.T) {
			objs := render(t, o)
			kinds := map[string]int{}
			for _, obj := range objs {
				kinds[obj["kind"].(string)]++
				if obj["kind"] == "Secret" {
					t.Errorf("Secret %v is committed: secrets are referenced, never shipped", dig(obj, "metadata", "name"))
				}
			}
			for _, k := range []string{"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget",
				"NetworkPolicy", "Job", "ConfigMap", "Cluster", "ScheduledBackup"} {
				if kinds[k] == 0 {
					t.Errorf("no %s rendered", k)
				}
			}

			d := find(t, objs, "Deployment", "kijun")
			if n := num(dig(d, "spec", "replicas")); n < 2 {
				t.Errorf("Deployment replicas = %v, want ≥ 2", n)
			}
			pod := dig(d, "spec", "template", "spec").(map[string]any)
			checkPod(t, "Deployment", pod)
			c := pod["containers"].([]any)[0].(map[string]any)
			if p := dig(c, "livenessProbe", "httpGet", "path"); p != "/healthz" {
				t.Errorf("liveness probe on %v, want /healthz", p)
			}
			if p := dig(c, "readinessProbe", "httpGet", "path"); p != "/readyz" {
				t.Errorf("readiness probe on %v, want /readyz", p)
			}
			if dig(c, "resources", "requests", "cpu") == nil || dig(c, "resources", "limits", "memory") == nil {
				t.Error("Deployment container lacks CPU requests or a memory limit")
			}
			checkPod(t, "Job", dig(find(t, objs, "Job", "kijun-migrate"), "spec", "template", "spec").(map[string]any))
			job := dig(find(t, objs, "Job", "kijun-migrate"), "spec", "template", "spec")
			if args := dig(job, "initContainers").([]any)[0].(map[string]any)["args"]; fmt.Sprint(args) != "[migrate up]" {
				t.Errorf("migration Job migrates with %v", args)
			}

			h := find(t, objs, "HorizontalPodAutoscaler", "kijun")
			if num(dig(h, "spec", "minReplicas")) < 2 {
				t.Error("HPA may scale below 2 replicas")
			}
			if len(find(t, objs, "Ingress", "kijun")["spec"].(map[string]any)["tls"].([]any)) == 0 {
				t.Error("Ingress without TLS")
			}
			web := find(t, objs, "NetworkPolicy", "kijun-web")
			if fmt.Sprint(dig(web, "spec", "policyTypes")) != "[Ingress Egress]" {
				t.Errorf("kijun-web NetworkPolicy types %v", dig(web, "spec", "policyTypes"))
			}

			cfg := find(t, objs, "ConfigMap", "")
			for _, obj := range objs {
				if obj["kind"] == "ConfigMap" && strings.HasPrefix(dig(obj, "metadata", "name").(string), "kijun-config") {
					cfg = obj
				}
			}
			data := cfg["data"].(map[string]any)
			if !strings.HasPrefix(fmt.Sprint(data["BASE_URL"]), "https://") {
				t.Errorf("BASE_URL %v is not https: cookies would not be Secure", data["BASE_URL"])
			}
			checkShutdown(t, pod, data)

			cl := find(t, objs, "Cluster", "kijun-db")
			if dig(cl, "spec", "backup", "barmanObjectStore", "destinationPath") == nil {
				t.Error("PostgreSQL cluster without backups to object storage")
			}
			if o == "prod" {
				if num(dig(cl, "spec", "instances")) != 3 || num(dig(cl, "spec", "minSyncReplicas")) < 1 {
					t.Errorf("prod PostgreSQL: %v instances, %v synchronous replicas; want 3 and ≥ 1",
						dig(cl, "spec", "instances"), dig(cl, "spec", "minSyncReplicas"))
				}
				if num(dig(find(t, objs, "PodDisruptionBudget", "kijun"), "spec", "minAvailable")) < 2 {
					t.Error("prod PDB lets all but one portal pod go")
				}
			}
		})
	}
}

// checkShutdown asserts that Kubernetes lets the portal finish its own
// shutdown (docs/operations.md, "Shutdown"): the ConfigMap sets the drain
// and the timeout, read here as the server reads them, and the pod's
// grace period covers the deadline by which the process exits. There is
// no preStop hook: the server drains itself after SIGTERM, and a hook
// would only delay SIGTERM within the same grace period.
func checkShutdown(t *testing.T, pod map[string]any, data map[string]any) {
	t.Helper()
	for _, k := range []string{"SHUTDOWN_DRAIN", "SHUTDOWN_TIMEOUT"} {
		v, ok := data[k].(string)
		if !ok {
			t.Errorf("kijun-config does not set %s", k)
		}
		t.Setenv(k, v)
	}
	cfg := config.FromEnv()
	if cfg.ShutdownDrain <= 0 {
		t.Errorf("SHUTDOWN_DRAIN %v: load balancers would still send to a closed port", cfg.ShutdownDrain)
	}
	grace := 30 * time.Second // Kubernetes' default
	if g, ok := pod["terminationGracePeriodSeconds"].(float64); ok {
		grace = time.Duration(g) * time.Second
	}
	if grace < cfg.ShutdownDeadline() {
		t.Errorf("terminationGracePeriodSeconds %v < SHUTDOWN_DRAIN %v + SHUTDOWN_TIMEOUT %v + margin %v: pods would be killed mid-shutdown",
			grace, cfg.ShutdownDrain, cfg.ShutdownTimeout, config.ShutdownMargin)
	}
	for _, x := range pod["containers"].([]any) {
		c := x.(map[string]any)
		if dig(c, "lifecycle", "preStop") != nil {
			t.Errorf("container %v has a preStop hook: it delays SIGTERM within the grace period; the server drains itself", c["name"])
		}
		envs, _ := c["env"].([]any)
		for _, e := range envs {
			if n := fmt.Sprint(e.(map[string]any)["name"]); strings.HasPrefix(n, "SHUTDOWN_") {
				t.Errorf("container %v sets %s: set it in kijun-config, where the grace period is checked against it", c["name"], n)
			}
		}
	}
}

var imageRef = regexp.MustCompile(`^[a-z0-9.\-/:]+:[A-Za-z0-9._\-]+$`)

// checkPod asserts the security context every Kijun pod runs with, and
// that secrets come only by reference.
func checkPod(t *testing.T, what string, pod map[string]any) {
	t.Helper()
	if dig(pod, "securityContext", "runAsNonRoot") != true {
		t.Errorf("%s: pod not runAsNonRoot", what)
	}
	if dig(pod, "securityContext", "seccompProfile", "type") != "RuntimeDefault" {
		t.Errorf("%s: pod seccomp profile is not RuntimeDefault", what)
	}
	containers, _ := pod["containers"].([]any)
	inits, _ := pod["initContainers"].([]any)
	for _, x := range append(containers, inits...) {
		c := x.(map[string]any)
		img := fmt.Sprint(c["image"])
		if !imageRef.MatchString(img) || strings.HasSuffix(img, ":latest") {
			t.Errorf("%s: image %q has no pinned tag", what, img)
		}
		sc, _ := c["securityContext"].(map[string]any)
		if sc["readOnlyRootFilesystem"] != true || sc["allowPrivilegeEscalation"] != false || sc["runAsNonRoot"] != true {
			t.Errorf("%s: container %v security context %v", what, c["name"], sc)
		}
		if fmt.Sprint(dig(c, "securityContext", "capabilities", "drop")) != "[ALL]" {
			t.Errorf("%s: container %v does not drop all capabilities", what, c["name"])
		}
		envs, _ := c["env"].([]any)
		for _, e := range envs {
			e := e.(map[string]any)
			name := fmt.Sprint(e["name"])
			if v, literal := e["value"].(string); literal && regexp.MustCompile(`SECRET|PASSWORD|TOKEN|KEY`).MatchString(name) {
				t.Errorf("%s: %s has a literal value %q; reference a Secret", what, name, v)
			}
		}
	}
}

func find(t *testing.T, objs []map[string]any, kind, name string) map[string]any {
	t.Helper()
	for _, o := range objs {
		if o["kind"] == kind && (name == "" || dig(o, "metadata", "name") == name) {
			return o
		}
	}
	t.Fatalf("no %s %q rendered", kind, name)
	return nil
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func copyOf(o map[string]any) map[string]any {
	b, _ := json.Marshal(o)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	return c
}

// TestDockerfile checks the rules that matter for the image that a generic
// linter does not know: pinned base images, a multi-stage build, a static
// binary, a non-root user, exec-form entrypoint. hadolint is not packaged
// for Debian; `make check` also runs dockerfilelint from npm.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	var user, entry string
	var build string
	args := map[string]bool{}
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\\\n", " "), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "ARG":
			args[strings.SplitN(f[1], "=", 2)[0]] = true
		case "FROM":
			froms = append(froms, f[1])
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entry = strings.Join(f[1:], " ")
		case "RUN":
			if strings.Contains(line, "go build") {
				build = line
			}
			if strings.Contains(line, "curl") || strings.Contains(line, "wget") {
				t.Errorf("RUN downloads outside the package managers: %s", line)
			}
		case "ADD":
			t.Errorf("ADD used; COPY is explicit: %s", line)
		}
	}
	if len(froms) < 2 {
		t.Errorf("not a multi-stage build: FROM %v", froms)
	}
	for _, img := range froms {
		if !strings.Contains(img, ":") || strings.HasSuffix(img, ":latest") {
			t.Errorf("base image %q is not pinned to a tag", img)
		}
	}
	final := froms[len(froms)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final stage %s is not distroless/static or scratch", final)
	}
	if user == "" || user == "root" || user == "0" || strings.HasPrefix(user, "0:") {
		t.Errorf("USER %q: the image must run as a non-root user", user)
	}
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(build, "-trimpath") {
		t.Errorf("go build is not static and trimmed: %s", build)
	}
	if strings.Contains(build, "-tags") {
		t.Errorf("go build sets build tags; the image is a release build, without the development tools of -tags dev: %s", build)
	}
	if !strings.HasPrefix(entry, "[") {
		t.Errorf("ENTRYPOINT %s is not exec form (there is no shell in the image)", entry)
	}
}
