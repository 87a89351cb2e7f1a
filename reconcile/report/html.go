package report

import (
	"crypto/sha256"
	_ "embed" // the page's template, style and script
	"encoding/base64"
	"html/template"
	"io"

	"github.com/oktalms/oktalms/reconcile"
)

var (
	//go:embed html.tmpl
	htmlSource string
	//go:embed html.css
	htmlStyle string
	//go:embed html.js
	htmlScript string

	htmlTemplate = template.Must(template.New("html.tmpl").Parse(htmlSource))

	// htmlCSP lets the page run only its own style and script, named by hash,
	// and load nothing: the file works offline, and a value that ever slipped
	// past escaping could not run.
	htmlCSP = "default-src 'none'; img-src data:; style-src " + cspHash(htmlStyle) +
		"; script-src " + cspHash(htmlScript)
)

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

type htmlPage struct {
	CSP      string
	Style    template.CSS
	Script   template.JS
	Badges   []htmlBadge
	Filters  []htmlBadge
	Guards   []string
	Rows     []htmlRow
	Problems []reconcile.Problem
}

// htmlBadge is a count in the summary, or an action filter button.
type htmlBadge struct {
	Class, Label string
	N            int
}

type htmlRow struct {
	reconcile.Op
	Held bool
	// Order sorts the action column in plan order, each held op after the
	// planned ones of its action.
	Order int
}

// HTML writes the plan as one self-contained page, for people to read,
// filter, sort and print: inline style and script, no external asset, no
// clock, so the same plan yields the same bytes.
func HTML(w io.Writer, p reconcile.Plan) error {
	page := htmlPage{CSP: htmlCSP, Style: template.CSS(htmlStyle), Script: template.JS(htmlScript),
		Guards: p.Guards, Problems: p.Problems}
	rank := make(map[reconcile.Action]int, len(reconcile.Actions))
	n := p.Count()
	for i, a := range reconcile.Actions {
		rank[a] = 2 * i
		if (a.OnGroup() || a.OnMembership()) && n[a] == 0 {
			continue // a plan without groups keeps the badges of people only
		}
		page.Badges = append(page.Badges, htmlBadge{Class: string(a), Label: "to " + string(a), N: n[a]})
		if n[a] > 0 {
			page.Filters = append(page.Filters, htmlBadge{Class: string(a), Label: string(a), N: n[a]})
		}
	}
	page.Badges = append(page.Badges, htmlBadge{Class: "held", Label: "held", N: len(p.Held)},
		htmlBadge{Class: "problem", Label: plural(len(p.Problems), "problem", "problems"), N: len(p.Problems)})
	if len(p.Held) > 0 {
		page.Filters = append(page.Filters, htmlBadge{Class: "held", Label: "held", N: len(p.Held)})
	}
	for _, op := range p.Ops {
		page.Rows = append(page.Rows, htmlRow{Op: op, Order: rank[op.Action]})
	}
	for _, op := range p.Held {
		page.Rows = append(page.Rows, htmlRow{Op: op, Held: true, Order: rank[op.Action] + 1})
	}
	return htmlTemplate.Execute(w, page)
}
