package sync

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/oktalms/oktalms/reconcile/report"
)

// Admin is the daemon's HTTP API: health, metrics, sync now, run history.
type Admin struct {
	History History
	Metrics *Metrics
	// Token, when set, is required as a bearer token on everything but /healthz.
	Token string
	// UnhealthyAfter is how many failed runs in a row make /healthz answer 503.
	UnhealthyAfter int
	Now            func() time.Time

	// Set by the daemon: how a run is started, and the schedule for status.
	trigger   func(RunOptions) (Result, error)
	schedules []cron.Schedule
}

// Handler routes the admin API.
func (a *Admin) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("GET /metrics", a.authorized(a.Metrics.Handler()))
	mux.Handle("POST /v1/sync", a.authorized(http.HandlerFunc(a.syncNow)))
	mux.Handle("GET /v1/runs", a.authorized(http.HandlerFunc(a.runs)))
	mux.Handle("GET /v1/runs/{id}", a.authorized(http.HandlerFunc(a.run)))
	return mux
}

func (a *Admin) authorized(next http.Handler) http.Handler {
	if a.Token == "" {
		return next
	}
	want := []byte("Bearer " + a.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="oktalms"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a bearer token (admin.token) is required"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Health is the daemon's health: unhealthy after UnhealthyAfter failed runs in a row.
type Health struct {
	Healthy bool   `json:"healthy"`
	Reason  string `json:"reason,omitempty"`
	LastRun *Run   `json:"last_run,omitempty"`
}

// CheckHealth reads the recent applying runs. It keeps no state of its own,
// so a restart does not forget a streak of failures.
func CheckHealth(ctx context.Context, h History, unhealthyAfter int) (Health, error) {
	runs, err := h.Runs(ctx, 50)
	if err != nil {
		return Health{}, err
	}
	var applying []Run
	for _, run := range runs {
		if !run.DryRun && run.Status != StatusRunning {
			applying = append(applying, run)
		}
	}
	health := Health{Healthy: true}
	if len(applying) > 0 {
		health.LastRun = &applying[0]
	}
	if unhealthyAfter <= 0 || len(applying) < unhealthyAfter {
		return health, nil
	}
	for _, run := range applying[:unhealthyAfter] {
		if run.Status != StatusFailed && run.Status != StatusInterrupted {
			return health, nil
		}
	}
	health.Healthy = false
	health.Reason = fmt.Sprintf("the last %d runs failed; the latest, run %d: %s", unhealthyAfter, applying[0].ID, applying[0].Error)
	return health, nil
}

func (a *Admin) healthz(w http.ResponseWriter, r *http.Request) {
	health, err := CheckHealth(r.Context(), a.History, a.UnhealthyAfter)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, Health{Reason: "cannot read the run history: " + err.Error()})
		return
	}
	status := http.StatusOK
	if !health.Healthy {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, health)
}

// syncNow runs now and answers when the run ends: the plan (as the JSON
// report) for ?dry_run=true, else the run's record. 409 while a run is in progress.
func (a *Admin) syncNow(w http.ResponseWriter, r *http.Request) {
	dryRun, _ := strconv.ParseBool(r.URL.Query().Get("dry_run"))
	full, _ := strconv.ParseBool(r.URL.Query().Get("full"))
	if a.trigger == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the daemon is not running runs"})
		return
	}
	res, err := a.trigger(RunOptions{Trigger: TriggerHTTP, DryRun: dryRun, Full: full})
	var busy *BusyError
	if errors.As(err, &busy) {
		writeJSON(w, http.StatusConflict, map[string]string{"error": busy.Error()})
		return
	}
	if errors.Is(err, errShuttingDown) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	if dryRun && (err == nil || len(res.Plan.Ops) > 0) {
		var buf bytes.Buffer
		if err := report.JSON(&buf, res.Plan); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(buf.Bytes())
		return
	}
	run, readErr := a.History.Run(r.Context(), res.RunID)
	switch {
	case res.RunID == 0:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	case readErr != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": readErr.Error()})
	case err != nil:
		writeJSON(w, http.StatusBadGateway, run)
	default:
		writeJSON(w, http.StatusOK, run)
	}
}

func (a *Admin) runs(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 1000 {
		limit = n
	}
	runs, err := a.History.Runs(r.Context(), limit)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	body := map[string]any{"runs": runs}
	if len(a.schedules) > 0 {
		body["next_run"] = NextRun(a.schedules, a.Now()).UTC()
	}
	writeJSON(w, http.StatusOK, body)
}

func (a *Admin) run(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a run id is a number"})
		return
	}
	run, err := a.History.Run(r.Context(), id)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrNoRun) {
			status = http.StatusNotFound
		}
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	journal, err := a.History.Journal(r.Context(), id)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"run": run, "operations": journal})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
