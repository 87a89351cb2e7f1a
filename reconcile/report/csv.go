package report

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/oktalms/oktalms/reconcile"
)

// CSV writes one row per field change, for a spreadsheet: the planned ops,
// then the held ones, then the problems (action "problem", the value under
// before, the message under reason). An op that changes no field, such as an
// archive, still gets one row.
//
// It is UTF-8 with a byte order mark, without which Excel reads it in the
// local code page, with CRLF line ends, as RFC 4180 and Excel expect.
func CSV(w io.Writer, p reconcile.Plan) error {
	rows := [][]string{{"action", "status", "email", "name", "okta_id", "lms_id", "field", "before", "after", "reason"}}
	addOps := func(status string, ops []reconcile.Op) {
		for _, op := range ops {
			reason := op.Reason
			if op.HeldBy != "" {
				reason += "; held by " + op.HeldBy
			}
			row := func(c reconcile.Change) []string {
				return []string{string(op.Action), status, op.Email, op.Name, op.OktaID, op.LMSID,
					c.Field, c.Before, c.After, reason}
			}
			if len(op.Changes) == 0 {
				rows = append(rows, row(reconcile.Change{}))
			}
			for _, c := range op.Changes {
				rows = append(rows, row(c))
			}
		}
	}
	addOps("planned", p.Ops)
	addOps("held", p.Held)
	for _, pr := range p.Problems {
		rows = append(rows, []string{"problem", "", pr.Login, "", pr.OktaID, "", pr.Field, pr.Value, "", pr.Message})
	}
	for _, row := range rows {
		for i := range row {
			row[i] = defuse(row[i])
		}
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw.WriteAll(rows)
}

// defuse keeps a spreadsheet from evaluating a cell as a formula (CSV
// injection): a value from Okta such as `=HYPERLINK(...)` must stay text. The
// leading quote is what spreadsheets themselves use to mark a cell as text.
func defuse(cell string) string {
	if cell != "" && strings.IndexByte("=+-@\t\r", cell[0]) >= 0 {
		return "'" + cell
	}
	return cell
}
