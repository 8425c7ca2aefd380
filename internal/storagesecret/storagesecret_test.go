package storagesecret

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestRefreshAt(t *testing.T) {
	for _, tc := range []struct {
		name         string
		lifetime     time.Duration
		minRemaining time.Duration
		earliest     time.Duration
		latest       time.Duration
	}{
		{"1h session refreshes between 40m and 45m", time.Hour, 5 * time.Minute, 40 * time.Minute, 45 * time.Minute},
		{"15m session refreshes between 10m and 11m15s", 15 * time.Minute, time.Minute, 10 * time.Minute, 11*time.Minute + 15*time.Second},
		{"minRemaining caps the refresh time", 15 * time.Minute, 10 * time.Minute, 5 * time.Minute, 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, 2))
			seen := map[time.Duration]bool{}
			for range 200 {
				at := RefreshAt(t0, t0.Add(tc.lifetime), tc.minRemaining, rnd).Sub(t0)
				if at < tc.earliest || at > tc.latest {
					t.Fatalf("refresh at +%v, want within [+%v, +%v]", at, tc.earliest, tc.latest)
				}
				if remaining := tc.lifetime - at; remaining < tc.minRemaining {
					t.Fatalf("refresh leaves %v, below the minimum %v", remaining, tc.minRemaining)
				}
				seen[at] = true
			}
			if tc.earliest != tc.latest && len(seen) < 50 {
				t.Fatalf("only %d distinct refresh times in 200 plans: no jitter", len(seen))
			}
		})
	}
}

func TestUsable(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "ASIAEXAMPLE", Expires: t0.Add(10 * time.Minute)}
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{t0, true},
		{t0.Add(5 * time.Minute), true},
		{t0.Add(5*time.Minute + time.Second), false},
		{t0.Add(11 * time.Minute), false},
	} {
		if got := Usable(creds, tc.now, 5*time.Minute); got != tc.want {
			t.Errorf("Usable at %v = %v, want %v", tc.now.Sub(t0), got, tc.want)
		}
	}
	if Usable(aws.Credentials{}, t0, 0) {
		t.Error("empty credentials are usable")
	}
}

func TestCredentialsRoundTrip(t *testing.T) {
	data := LocationData(Location{Region: "us-east-1", BucketARN: "arn:aws:s3:::b", KMSKeyARN: "arn:aws:kms:us-east-1:123456789012:key/k"}, false)
	creds := aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", CanExpire: true, Expires: t0}
	if err := AddCredentials(data, "us-east-1", creds, "/mnt/s/"); err != nil {
		t.Fatal(err)
	}
	got, ok := Credentials(data)
	if !ok || got != creds {
		t.Fatalf("Credentials() = %+v, %v; want %+v", got, ok, creds)
	}
	if want := "[default]\nregion = us-east-1\ncredential_process = cat /mnt/s/credentials.json\n"; string(data[KeyConfig]) != want {
		t.Errorf("config = %q, want %q", data[KeyConfig], want)
	}
	var process map[string]any
	if err := json.Unmarshal(data[KeyProcessCreds], &process); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"Version": 1.0, "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "SessionToken": "token", "Expiration": "2026-11-22T12:00:00Z"}
	for k, v := range want {
		if process[k] != v {
			t.Errorf("credentials.json %s = %v, want %v", k, process[k], v)
		}
	}
	if string(data[KeyBucket]) != "b" {
		t.Errorf("bucket = %q", data[KeyBucket])
	}
}

func TestContentHashIsStableAndSensitive(t *testing.T) {
	a := map[string][]byte{"x": []byte("1"), "y": []byte("2")}
	b := map[string][]byte{"y": []byte("2"), "x": []byte("1")}
	if ContentHash(a) != ContentHash(b) {
		t.Error("hash depends on map order")
	}
	b["y"] = []byte("3")
	if ContentHash(a) == ContentHash(b) {
		t.Error("hash ignores a changed value")
	}
}

// The session policy must let the tenant's pods do the configured actions
// on the tenant's bucket and key, and nothing on anything else.
func TestSessionPolicyScopesToTheTenant(t *testing.T) {
	doc := iampolicy.MustParse(SessionPolicy("arn:aws:s3:::tenant-a", "arn:aws:kms:us-east-1:123456789012:key/a",
		[]string{"s3:GetObject", "s3:PutObject", "s3:ListBucket"}))
	caller := iampolicy.Caller{ARN: "arn:aws:sts::123456789012:assumed-role/r/s", Account: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/r"}
	allowAll := iampolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	for _, tc := range []struct {
		action, resource string
		want             bool
	}{
		{"s3:GetObject", "arn:aws:s3:::tenant-a/docs/1", true},
		{"s3:PutObject", "arn:aws:s3:::tenant-a/docs/1", true},
		{"s3:ListBucket", "arn:aws:s3:::tenant-a", true},
		{"s3:DeleteObject", "arn:aws:s3:::tenant-a/docs/1", false},
		{"s3:GetObject", "arn:aws:s3:::tenant-b/docs/1", false},
		{"s3:ListBucket", "arn:aws:s3:::tenant-b", false},
		{"kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/a", true},
		{"kms:GenerateDataKey", "arn:aws:kms:us-east-1:123456789012:key/a", true},
		{"kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/b", false},
		{"kms:CreateGrant", "arn:aws:kms:us-east-1:123456789012:key/a", false},
		{"sts:AssumeRole", "arn:aws:iam::123456789012:role/other", false},
	} {
		d := iampolicy.Evaluate(iampolicy.Request{Caller: caller, Action: tc.action, Resource: tc.resource, Context: iampolicy.Context{}},
			iampolicy.Inputs{Identity: []*iampolicy.Document{allowAll}, Session: []*iampolicy.Document{doc}, ResourceAccount: "123456789012"})
		if d.Allowed != tc.want {
			t.Errorf("%s on %s: allowed=%v, want %v (%s)", tc.action, tc.resource, d.Allowed, tc.want, d.Reason)
		}
	}
}
