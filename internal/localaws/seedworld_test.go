package localaws_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
)

// testdata/seeds-world.yaml holds the seeds verbatim, filled: any drift
// from internal/seeds fails here.
func TestSeedWorldMatchesSeeds(t *testing.T) {
	w, err := world.Load("testdata/seeds-world.yaml")
	noErr(t, err)
	vendor, cust := w.Accounts[0], w.Accounts[1]
	optionA := seeds.Values{VendorAccountID: vendorAcct, BucketName: optionABkt, CustomerFacingRoleName: "alphasense-customer-acme"}
	keyStmt := seeds.MustFill(seeds.KMSKeyPolicyStatement, seedValues)
	docKeyPolicy, err := seeds.KeyPolicy([]byte(keyStmt), customerAcct, true)
	noErr(t, err)
	optionAStmt := seeds.MustFill(seeds.KMSKeyPolicyStatement, seeds.Values{CustomerAccountID: vendorAcct, ClientRoleName: "alphasense-customer-acme"})
	optionAKeyPolicy, err := seeds.KeyPolicy([]byte(optionAStmt), customerAcct, true)
	noErr(t, err)
	for _, c := range []struct {
		where, got, want string
	}{
		{"vendor service role policy", vendor.Roles[0].InlinePolicies["service-role-policy"].Text, seeds.MustFill(seeds.ServiceRolePolicy, seedValues)},
		{"customer managed policy", cust.Policies[0].Document.Text, seeds.MustFill(seeds.CLIPermissionsPolicy, seedValues)},
		{"client role trust policy", cust.Roles[0].TrustPolicy.Text, seeds.MustFill(seeds.ClientTrustPolicy, seedValues)},
		{"CLI role trust policy", cust.Roles[1].TrustPolicy.Text, seeds.MustFill(seeds.CLITrustPolicy, seedValues)},
		{"document bucket policy", cust.Buckets[0].Policy.Text, seeds.MustFill(seeds.BucketPolicy, seedValues)},
		{"option A bucket policy", cust.Buckets[1].Policy.Text, seeds.MustFill(seeds.OptionABucketPolicy, optionA)},
		{"document key policy", cust.Keys[0].Policy.Text, string(docKeyPolicy) + "\n"},
		{"option A key policy", cust.Keys[1].Policy.Text, string(optionAKeyPolicy) + "\n"},
	} {
		if c.got != c.want {
			t.Errorf("%s differs from the seed:\n got %q\nwant %q", c.where, c.got, c.want)
		}
	}
	if cust.Roles[0].Name != "AlphaSense-DocumentStorage-ClientRole-acme" || cust.Roles[1].Name != "AlphaSense-DocumentStorage-ClientRole" {
		t.Errorf("client roles are %s and %s", cust.Roles[0].Name, cust.Roles[1].Name)
	}
}

// The README's complete example is a working world: the chain it describes
// works with it.
func TestReadmeWorldExampleLoads(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	noErr(t, err)
	_, rest, ok := strings.Cut(string(readme), "### Complete example")
	_, rest, ok2 := strings.Cut(rest, "```yaml\n")
	example, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no complete example")
	}
	w, err := localaws.ParseWorld([]byte(example))
	noErr(t, err)
	e := newEnvWorld(t, w)
	c := e.clientSession()
	out := put(t, c, docBucket, "readme", "works")
	if aws.ToString(out.SSEKMSKeyId) != docKeyARN {
		t.Fatalf("key %s", aws.ToString(out.SSEKMSKeyId))
	}
}
