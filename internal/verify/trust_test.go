package verify

import "testing"

func TestRoleMatchesLikeIAMResources(t *testing.T) {
	const seedPattern = "arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole-*"
	for _, tc := range []struct {
		pattern, role string
		want          bool
	}{
		{seedPattern, "arn:aws:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole-acme", true},
		// The role name onboarding guide 000's own CLI creates.
		{seedPattern, "arn:aws:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole", false},
		{"arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole*", "arn:aws:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole", true},
		// IAM's * spans the role's path.
		{"arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/path/to/Role", true},
		{"arn:aws:iam::111111111111:role/R?", "arn:aws:iam::111111111111:role/R1", true},
		{"arn:aws:iam::111111111111:role/R?", "arn:aws:iam::222222222222:role/R1", false},
	} {
		if got := roleMatches(tc.pattern, tc.role); got != tc.want {
			t.Errorf("roleMatches(%q, %q) = %v, want %v", tc.pattern, tc.role, got, tc.want)
		}
	}
}

func TestSuggestRoleName(t *testing.T) {
	got := suggestRoleName("arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole-*", "arn:aws:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole")
	if want := "arn:aws:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole-<tenant>"; got != want {
		t.Errorf("suggestRoleName = %q, want %q", got, want)
	}
}
