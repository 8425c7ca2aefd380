package preflight

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// Run defaults and verifies ts with v, as the reconciler does, writes the
// report to w, and reports whether every check passed.
func Run(ctx context.Context, v *verify.Verifier, ts *storagev1alpha1.TenantStorage, w io.Writer) (bool, error) {
	Default(ts)
	if err := Validate(ts); err != nil {
		return false, err
	}
	r := v.Verify(ctx, verify.TenantFrom(ts))
	if err := WriteReport(w, ts, r); err != nil {
		return false, err
	}
	return Passed(r), nil
}

// Passed reports whether every check is True, the condition for Ready
// (the Secret aside).
func Passed(r verify.Report) bool {
	for _, c := range r.Checks() {
		if c.Status != metav1.ConditionTrue {
			return false
		}
	}
	return true
}

// WriteReport prints the checks and actions as two tables, then the
// warnings and the verdict.
func WriteReport(w io.Writer, ts *storagev1alpha1.TenantStorage, r verify.Report) error {
	var table strings.Builder // tab-separated cells, aligned at the end
	fmt.Fprintf(&table, "TenantStorage %s/%s\n", ts.Namespace, ts.Name)
	if r.Identity != "" {
		fmt.Fprintf(&table, "Identity %s\n", r.Identity)
	}
	fmt.Fprint(&table, "\nCONDITION\tSTATUS\tREASON\tMESSAGE\n")
	failed := 0
	for _, c := range r.Checks() {
		fmt.Fprintf(&table, "%s\t%s\t%s\t%s\n", c.Condition, c.Status, c.Reason, oneLine(c.Message))
		if c.Status != metav1.ConditionTrue {
			failed++
		}
	}
	if len(r.Actions) > 0 {
		fmt.Fprint(&table, "\nACTION\tRESULT\tMESSAGE\n")
		for _, a := range r.Actions {
			fmt.Fprintf(&table, "%s\t%s\t%s\n", a.Action, a.Result, oneLine(a.Message))
		}
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(&table, "\nWarning: %s\n", oneLine(warning))
	}
	if failed == 0 {
		fmt.Fprint(&table, "\nAll checks passed.\n")
	} else {
		fmt.Fprintf(&table, "\n%d of %d checks did not pass.\n", failed, len(r.Checks()))
	}
	aligned := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if _, err := io.WriteString(aligned, table.String()); err != nil {
		return err
	}
	return aligned.Flush()
}

// oneLine keeps a message in its table cell.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\t' }), " ")
}
