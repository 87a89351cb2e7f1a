package sync

import (
	"context"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the daemon's Prometheus metrics, in a registry of their own.
type Metrics struct {
	registry    *prometheus.Registry
	history     History
	runs        *prometheus.CounterVec
	ops         *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	duration    *prometheus.HistogramVec
	requests    *prometheus.CounterVec
	retries     *prometheus.CounterVec
}

var _ Observer = (*Metrics)(nil)

// NewMetrics registers every metric. history feeds the snapshot size, read
// at each scrape so that it is right even before the first run.
func NewMetrics(history History) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		history:  history,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oktalms_runs_total", Help: "Runs by trigger, mode and result.",
		}, []string{"trigger", "mode", "result"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oktalms_operations_total", Help: "LMS operations by action and result (applied, failed, skipped, held).",
		}, []string{"action", "result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "oktalms_last_success_timestamp_seconds", Help: "When the last applying run that completed everything ended.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "oktalms_run_duration_seconds", Help: "How long runs take.",
			Buckets: []float64{1, 5, 15, 60, 300, 900, 1800, 3600, 7200},
		}, []string{"mode"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oktalms_api_requests_total", Help: "HTTP requests sent, by side (okta, lms) and status code (0: no answer).",
		}, []string{"side", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "oktalms_api_retries_total", Help: "Requests sent again after a rate limit, 5xx or network error, by side.",
		}, []string{"side"}),
	}
	users := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "oktalms_snapshot_users", Help: "People in the snapshot: created or linked by oktalms.",
	}, func() float64 {
		n, err := m.history.UserCount(context.Background())
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.registry.MustRegister(m.runs, m.ops, m.lastSuccess, m.duration, m.requests, m.retries, users)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// RunFinished counts a run and its ops.
func (m *Metrics) RunFinished(_ context.Context, run Run, res Result) {
	mode := "apply"
	if run.DryRun {
		mode = "dry_run"
	}
	m.runs.WithLabelValues(run.Trigger, mode, run.Status).Inc()
	m.duration.WithLabelValues(mode).Observe(run.Duration(run.FinishedAt).Seconds())
	if !run.DryRun && run.Status == StatusOK {
		m.lastSuccess.Set(float64(run.FinishedAt.Unix()))
	}
	count := func(action, result string) { m.ops.WithLabelValues(action, result).Inc() }
	for _, op := range res.Applied {
		count(string(op.Action), "applied")
	}
	for _, f := range res.Failures {
		count(string(f.Op.Action), "failed")
	}
	for _, op := range res.Skipped {
		count(string(op.Action), "skipped")
	}
	for _, op := range res.Plan.Held {
		count(string(op.Action), "held")
	}
}

// Retry counts one request sent again on a side.
func (m *Metrics) Retry(side string) { m.retries.WithLabelValues(side).Inc() }

// Transport counts every request a side sends, each retry included.
func (m *Metrics) Transport(side string, next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		code := "0"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		m.requests.WithLabelValues(side, code).Inc()
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
