package deploy_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestMetricsNotRouted: the portal serves /metrics on a port of its own
// (METRICS_ADDR), which Prometheus scrapes from the monitoring namespace;
// no Service targets that port, so the Ingress, whose every backend is a
// Service port, never routes /metrics, and the ingress controller may not
// even reach it.
func TestMetricsNotRouted(t *testing.T) {
	for _, o := range overlays {
		t.Run(o, func(t *testing.T) {
			objs := render(t, o)
			d := find(t, objs, "Deployment", "kijun")
			c := dig(d, "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
			env := map[string]string{}
			for _, e := range c["env"].([]any) {
				e := e.(map[string]any)
				env[fmt.Sprint(e["name"])] = fmt.Sprint(e["value"])
			}
			ports := map[string]float64{} // container port name → number
			for _, p := range c["ports"].([]any) {
				p := p.(map[string]any)
				ports[fmt.Sprint(p["name"])] = num(p["containerPort"])
			}
			metrics, public := ports["metrics"], ports["http"]
			if metrics == 0 || public == 0 || metrics == public {
				t.Fatalf("container ports %v: want http and metrics, apart", ports)
			}
			if want := fmt.Sprintf(":%d", int(metrics)); env["METRICS_ADDR"] != want {
				t.Errorf("METRICS_ADDR %q, want %q (the metrics container port)", env["METRICS_ADDR"], want)
			}
			if want := fmt.Sprintf(":%d", int(public)); env["LISTEN_ADDR"] != want {
				t.Errorf("LISTEN_ADDR %q, want %q (the http container port)", env["LISTEN_ADDR"], want)
			}
			ann := dig(d, "spec", "template", "metadata", "annotations").(map[string]any)
			if ann["prometheus.io/port"] != fmt.Sprint(int(metrics)) || ann["prometheus.io/path"] != "/metrics" {
				t.Errorf("scrape annotations %v, want the metrics port %d", ann, int(metrics))
			}

			// targetPort of a Service port resolves to a container port.
			target := func(sp map[string]any) float64 {
				switch tp := sp["targetPort"].(type) {
				case string:
					return ports[tp]
				case float64:
					return tp
				}
				return num(sp["port"])
			}
			services := map[string]map[string]any{}
			for _, obj := range objs {
				if obj["kind"] != "Service" {
					continue
				}
				services[fmt.Sprint(dig(obj, "metadata", "name"))] = obj
				for _, sp := range dig(obj, "spec", "ports").([]any) {
					if target(sp.(map[string]any)) == metrics {
						t.Errorf("Service %v exposes the metrics port", dig(obj, "metadata", "name"))
					}
				}
			}
			for _, obj := range objs {
				if obj["kind"] != "Ingress" {
					continue
				}
				for _, r := range dig(obj, "spec", "rules").([]any) {
					for _, p := range dig(r, "http", "paths").([]any) {
						b := dig(p, "backend", "service").(map[string]any)
						svc := services[fmt.Sprint(b["name"])]
						if svc == nil {
							t.Fatalf("Ingress routes to Service %v, which is not rendered", b["name"])
						}
						routed := 0.0
						for _, sp := range dig(svc, "spec", "ports").([]any) {
							sp := sp.(map[string]any)
							if sp["name"] == dig(b, "port", "name") || (dig(b, "port", "number") != nil && num(sp["port"]) == num(dig(b, "port", "number"))) {
								routed = target(sp)
							}
						}
						if routed != public {
							t.Errorf("Ingress path %v routes to container port %v, want only the public port %v", dig(p, "path"), routed, public)
						}
						if strings.HasPrefix(fmt.Sprint(dig(p, "path")), "/metrics") {
							t.Errorf("Ingress has a path %v", dig(p, "path"))
						}
					}
				}
			}

			// The ingress controller reaches the public port only; the
			// monitoring namespace the metrics port only.
			web := find(t, objs, "NetworkPolicy", "kijun-web")
			for _, rule := range dig(web, "spec", "ingress").([]any) {
				from := fmt.Sprint(dig(rule, "from"))
				var allowed []float64
				for _, p := range dig(rule, "ports").([]any) {
					allowed = append(allowed, num(dig(p, "port")))
				}
				switch {
				case strings.Contains(from, "ingress-nginx"):
					if fmt.Sprint(allowed) != fmt.Sprint([]float64{public}) {
						t.Errorf("the ingress controller may reach ports %v, want only %v", allowed, public)
					}
				case strings.Contains(from, "monitoring"):
					if fmt.Sprint(allowed) != fmt.Sprint([]float64{metrics}) {
						t.Errorf("the monitoring namespace may reach ports %v, want only %v", allowed, metrics)
					}
				}
			}
		})
	}
}
