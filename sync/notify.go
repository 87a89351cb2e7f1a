package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Webhook posts a JSON summary of runs that need a person's attention:
// failed, finished with per-person failures or problems, or with ops held by
// a guard — and, with Always, of every applying run. The silent failure of a
// sync nobody notices for days is what it exists to prevent.
type Webhook struct {
	// URL is a secret (a Slack webhook URL is a credential): never logged.
	URL    string
	Always bool
	Client *http.Client
	Logger *slog.Logger
}

var _ Observer = (*Webhook)(nil)

// WebhookMessage is the body posted. Text makes it a valid Slack message.
type WebhookMessage struct {
	Text     string          `json:"text"`
	Run      Run             `json:"run"`
	Failures []WebhookFailed `json:"failures,omitempty"`
}

// WebhookFailed is one failed op.
type WebhookFailed struct {
	Action string `json:"action"`
	Email  string `json:"email"`
	OktaID string `json:"okta_id"`
	Error  string `json:"error"`
}

// RunFinished posts the summary when the run calls for it.
func (w *Webhook) RunFinished(ctx context.Context, run Run, res Result) {
	attention := run.Status != StatusOK
	if run.DryRun || (!attention && !w.Always) {
		return
	}
	msg := WebhookMessage{Text: summaryText(run), Run: run}
	for _, f := range res.Failures {
		msg.Failures = append(msg.Failures, WebhookFailed{Action: string(f.Op.Action), Email: f.Op.Email,
			OktaID: f.Op.OktaID, Error: f.Err.Error()})
	}
	if err := w.post(ctx, msg); err != nil {
		w.Logger.Error("webhook notification not delivered", "run_id", run.ID, "error", err)
	}
}

func summaryText(run Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "oktalms run %d (%s) %s", run.ID, run.Trigger, run.Status)
	if run.Error != "" {
		fmt.Fprintf(&b, ": %s", run.Error)
	}
	fmt.Fprintf(&b, ". %d planned, %d applied", run.Planned, run.Applied)
	for _, part := range []struct {
		n    int
		what string
	}{{run.Failed, "failed"}, {run.Skipped, "skipped"}, {run.Held, "held by a safety guard"}, {run.Problems, "people with problems in Okta"}} {
		if part.n > 0 {
			fmt.Fprintf(&b, ", %d %s", part.n, part.what)
		}
	}
	b.WriteString(".")
	return b.String()
}

func (w *Webhook) post(ctx context.Context, msg WebhookMessage) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build the request: %w", redactURL(err, w.URL))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.Client.Do(req)
	if err != nil {
		return redactURL(err, w.URL)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook answered %s", resp.Status)
	}
	return nil
}

// redactURL keeps the webhook URL, a credential, out of an error message.
func redactURL(err error, url string) error {
	if url == "" {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), url, "[notify.webhook_url]"))
}
