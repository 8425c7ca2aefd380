package main

import (
	"testing"
	"time"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
)

func TestSummarizeSeparatesWhoCalled(t *testing.T) {
	t0 := time.Unix(1000, 0)
	base := vendor.UserARN()
	service := "arn:aws:sts::111111111111:assumed-role/document-storage-role/tenantstorage-operator"
	records := []localaws.Call{
		{Seq: 1, Time: t0, Principal: base, Service: "sts", Operation: "AssumeRole", Outcome: "OK"},
		{Seq: 2, Time: t0, Principal: service, Service: "sts", Operation: "AssumeRole", Outcome: "OK"},
		{Seq: 3, Time: t0.Add(100 * time.Millisecond), Principal: service, Service: "sts", Operation: "AssumeRole", Outcome: "AccessDenied"},
		{Seq: 4, Time: t0.Add(900 * time.Millisecond), Service: "s3", Operation: "PutObject", Outcome: "SlowDown"},
		{Seq: 5, Time: t0.Add(1100 * time.Millisecond), Service: "s3", Operation: "PutObject", Outcome: "OK"},
		{Seq: 6, Time: t0.Add(1100 * time.Millisecond), Service: "kms", Operation: "GenerateDataKey", Outcome: "OK", Via: "s3.amazonaws.com"},
		{Seq: 7, Time: t0.Add(1200 * time.Millisecond), Service: "kms", Operation: "Encrypt", Outcome: "ThrottlingException"},
	}
	s := summarize(records, base)
	if s.Total != 6 || s.forTenants() != 5 || s.BaseAssumeRoles != 1 {
		t.Errorf("total %d, for tenants %d, base %d; want 6, 5, 1", s.Total, s.forTenants(), s.BaseAssumeRoles)
	}
	want := []opCount{{"sts AssumeRole", 2}, {"s3 PutObject", 2}, {"kms Encrypt", 1}}
	if len(s.ByOp) != len(want) {
		t.Fatalf("by operation %v, want %v", s.ByOp, want)
	}
	for i := range want {
		if s.ByOp[i] != want[i] {
			t.Errorf("by operation %v, want %v", s.ByOp, want)
		}
	}
	if len(s.Via) != 1 || s.Via[0] != (opCount{"kms GenerateDataKey", 1}) {
		t.Errorf("via %v", s.Via)
	}
	if s.Throttled != 2 || s.ThrottledByOp["s3 PutObject"] != 1 || s.ThrottledByOp["kms Encrypt"] != 1 {
		t.Errorf("throttled %d %v", s.Throttled, s.ThrottledByOp)
	}
	// Four calls in second 1000, two in 1001 (the S3 call for KMS aside).
	if s.PeakPerSecond != 4 {
		t.Errorf("peak %d a second, want 4", s.PeakPerSecond)
	}
	if got := since(records, 4); len(got) != 3 || got[0].Seq != 5 {
		t.Errorf("since 4: %v", got)
	}
	if got := since(records, 7); len(got) != 0 {
		t.Errorf("since the last: %v", got)
	}
	if lastSeq(records) != 7 || lastSeq(nil) != 0 {
		t.Error("lastSeq")
	}
}
