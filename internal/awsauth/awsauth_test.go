package awsauth

import (
	"regexp"
	"strings"
	"testing"
)

// AWS's RoleSessionName: 2-64 characters of [\w+=,.@-]
// (docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
var validSessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func TestSessionName(t *testing.T) {
	for _, tc := range []struct {
		namespace, name, want string
	}{
		{"default", "acme", "ts-default.acme"},
		{"team-a", "acme.eu", "ts-team-a.acme.eu"},
	} {
		if got := SessionName(tc.namespace, tc.name); got != tc.want {
			t.Errorf("SessionName(%q, %q) = %q, want %q", tc.namespace, tc.name, got, tc.want)
		}
	}

	long := SessionName(strings.Repeat("n", 63), strings.Repeat("t", 63))
	if !validSessionName.MatchString(long) || len(long) != 64 {
		t.Errorf("long names give %q (%d characters)", long, len(long))
	}
	if other := SessionName(strings.Repeat("n", 63), strings.Repeat("t", 62)+"u"); other == long {
		t.Errorf("two tenants share the session name %q", long)
	}
}

func TestSessionARN(t *testing.T) {
	for _, tc := range []struct{ role, want string }{
		{"arn:aws:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole", "arn:aws:sts::123456789012:assumed-role/AlphaSense-DocumentStorage-ClientRole/s"},
		// The role's path is not part of the session ARN.
		{"arn:aws-cn:iam::123456789012:role/storage/ClientRole", "arn:aws-cn:sts::123456789012:assumed-role/ClientRole/s"},
		{"not an arn", ""},
	} {
		if got := SessionARN(tc.role, "s"); got != tc.want {
			t.Errorf("SessionARN(%q) = %q, want %q", tc.role, got, tc.want)
		}
	}
}
