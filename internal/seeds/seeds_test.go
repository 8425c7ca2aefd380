package seeds

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

var values = Values{
	VendorAccountID: "111111111111", CustomerAccountID: "222222222222",
	ClientRoleName: "AlphaSense-DocumentStorage-ClientRole-acme", KMSKeyID: "0b6f3c2e-5d7a-4e8b-9c1d-2f3a4b5c6d7e",
	BucketName: "acme-document-bucket", CustomerFacingRoleName: "alphasense-customer-acme", ExternalID: "acme-ext-id",
}

func TestEveryDocumentIsListedInSources(t *testing.T) {
	want := []string{
		"000-bucket-policy.json", "000-cli-permissions-policy.json", "000-cli-trust-policy.json",
		"000-client-kms-policy.json", "000-client-s3-policy.json", "000-client-trust-policy.json",
		"000-kms-key-policy-statement.json", "000-service-role-policy.json", "000-trust-policy-basic.json",
		"000-trust-policy-external-id.json", "004-option-a-bucket-policy.json",
	}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v", got)
	}
	sources, err := os.ReadFile("policies/SOURCES.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range want {
		if !strings.Contains(string(sources), "| `"+n+"` |") {
			t.Errorf("SOURCES.md does not name %s", n)
		}
	}
}

// Every filled document is a policy IAM accepts; the key policy statement
// becomes one once wrapped.
func TestFilledDocumentsParse(t *testing.T) {
	for _, n := range Names() {
		b, err := Fill(n, values)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if n == KMSKeyPolicyStatement {
			if b, err = KeyPolicy(b, values.CustomerAccountID, true); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := iampolicy.Parse(b); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestFillReplacesPlaceholdersAndLiterals(t *testing.T) {
	got := MustFill(ClientKMSPolicy, values)
	if !strings.Contains(got, `"Resource": "arn:aws:kms:us-east-1:222222222222:key/0b6f3c2e-5d7a-4e8b-9c1d-2f3a4b5c6d7e"`) {
		t.Fatalf("example account and key ID not both replaced:\n%s", got)
	}
	got = MustFill(ClientTrustPolicy, values)
	if !strings.Contains(got, `"AWS": "arn:aws:iam::111111111111:role/document-storage-role"`) || !strings.Contains(got, `"sts:ExternalId": "acme-ext-id"`) {
		t.Fatalf("trust policy:\n%s", got)
	}
	// Only the substituted text changes: the layout stays the seed's.
	raw, _ := Raw(ClientTrustPolicy)
	if strings.Count(got, "\n") != strings.Count(string(raw), "\n") || !strings.HasPrefix(got, "{\n\"Version\": \"2012-10-17\",\n") {
		t.Fatalf("layout changed:\n%s", got)
	}
	got = MustFill(OptionABucketPolicy, values)
	if !strings.Contains(got, `"arn:aws:iam::111111111111:role/alphasense-customer-acme"`) || !strings.Contains(got, `"Resource": "arn:aws:s3:::acme-document-bucket/*"`) {
		t.Fatalf("option A:\n%s", got)
	}
}

func TestFillNeedsValues(t *testing.T) {
	_, err := Fill(BucketPolicy, Values{CustomerAccountID: "222222222222"})
	if err == nil || err.Error() != `seeds: 000-bucket-policy.json needs Values.ClientRoleName for "[Your-Client-Role-Name]"` {
		t.Fatalf("err = %v", err)
	}
	// The basic trust policy needs the vendor account only.
	if _, err := Fill(TrustPolicyBasic, Values{VendorAccountID: "111111111111"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Raw("nope.json"); err == nil {
		t.Fatal("Raw of an unknown document succeeded")
	}
}

func TestKeyPolicy(t *testing.T) {
	stmt := MustFill(KMSKeyPolicyStatement, values)
	var doc struct {
		Version   string
		Statement []struct {
			Sid       string
			Principal struct{ AWS string }
		}
	}
	with, err := KeyPolicy([]byte(stmt), "222222222222", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(with, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Statement) != 2 || doc.Statement[0].Sid != "Enable IAM User Permissions" || doc.Statement[0].Principal.AWS != "arn:aws:iam::222222222222:root" ||
		doc.Statement[1].Sid != "Allow access through client role" {
		t.Fatalf("with root: %s", with)
	}
	without, err := KeyPolicy([]byte(stmt), "", false)
	if err != nil {
		t.Fatal(err)
	}
	doc.Statement = nil
	if err := json.Unmarshal(without, &doc); err != nil || len(doc.Statement) != 1 || doc.Statement[0].Principal.AWS != "arn:aws:iam::222222222222:role/AlphaSense-DocumentStorage-ClientRole-acme" {
		t.Fatalf("without root: %s (%v)", without, err)
	}
	if _, err := KeyPolicy([]byte(stmt), "", true); err == nil {
		t.Fatal("root statement without account accepted")
	}
	if _, err := KeyPolicy([]byte("{"), "222222222222", true); err == nil {
		t.Fatal("invalid statement accepted")
	}
}
