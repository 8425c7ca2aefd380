package faults

import (
	"testing"
	"time"
)

func mustAdd(t *testing.T, in *Injector, f Fault) Fault {
	t.Helper()
	added, err := in.Add(f)
	if err != nil {
		t.Fatalf("Add(%+v): %v", f, err)
	}
	return added
}

func TestMatchOrderAndCounts(t *testing.T) {
	var in Injector
	lat := mustAdd(t, &in, Fault{Kind: Latency, LatencyMillis: 5, Count: 2})
	mustAdd(t, &in, Fault{Service: "kms", Kind: Throttle, Count: 1})
	mustAdd(t, &in, Fault{Service: "kms", Operation: "Decrypt", Kind: InternalError})
	mustAdd(t, &in, Fault{PrincipalARNPrefix: "arn:aws:sts::1", Kind: Reset})
	if lat.ID != "fault-1" {
		t.Fatalf("id %s", lat.ID)
	}
	steps := []struct {
		service, op, principal string
		delay                  time.Duration
		kind                   Kind
	}{
		{"kms", "Decrypt", "arn:aws:iam::2:user/u", 5 * time.Millisecond, Throttle}, // first failing fault wins
		{"kms", "Decrypt", "arn:aws:iam::2:user/u", 5 * time.Millisecond, InternalError},
		{"kms", "Encrypt", "arn:aws:sts::1:assumed-role/r/s", 0, Reset}, // latency used up
		{"sts", "AssumeRole", "arn:aws:iam::2:user/u", 0, ""},
	}
	for i, s := range steps {
		d, k := in.Match(s.service, s.op, s.principal)
		if d != s.delay || k != s.kind {
			t.Fatalf("step %d: %v %q, want %v %q", i, d, k, s.delay, s.kind)
		}
	}
	if n := len(in.List()); n != 2 {
		t.Fatalf("%d faults left, want the two unlimited ones", n)
	}
	in.Clear()
	if n := len(in.List()); n != 0 {
		t.Fatalf("%d after Clear", n)
	}
}

func TestAddValidation(t *testing.T) {
	var in Injector
	for _, f := range []Fault{
		{Kind: Latency},
		{Kind: Throttle, LatencyMillis: 3},
		{Kind: Throttle, Service: "ec2"},
		{Kind: Throttle, Count: -1},
	} {
		if _, err := in.Add(f); err == nil {
			t.Errorf("accepted %+v", f)
		}
	}
	if err := in.SetRateLimit(-1); err == nil {
		t.Error("negative rate accepted")
	}
}

func TestAdmitWindow(t *testing.T) {
	var in Injector
	t0 := time.Unix(1000, 0)
	if !in.Admit(t0) {
		t.Fatal("no limit should admit")
	}
	if err := in.SetRateLimit(2); err != nil {
		t.Fatal(err)
	}
	got := []bool{in.Admit(t0), in.Admit(t0.Add(500 * time.Millisecond)), in.Admit(t0.Add(900 * time.Millisecond)), in.Admit(t0.Add(time.Second))}
	if got[0] != true || got[1] != true || got[2] != false || got[3] != true {
		t.Fatalf("admissions %v", got)
	}
}
