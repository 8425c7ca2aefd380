package policy_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/localawstest"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
	"github.com/tenantstorage/tenantstorage-operator/internal/policy"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

// customer is one tenant whose account is set up with nothing but the
// rendered documents.
type customer struct {
	name, account string
	mode          policy.Mode
}

func (c customer) roleARN() string {
	if c.mode == policy.Direct {
		return ""
	}
	return world.RoleARN(c.account, "", "AlphaSense-DocumentStorage-ClientRole-"+c.name)
}

func (c customer) bucketARN() string {
	if c.mode == policy.KeyOnly {
		return ""
	}
	return world.BucketARN(c.name + "-document-bucket")
}

func (c customer) keyID() string { return "0000" + c.account[:4] + "-1111-4222-8333-" + c.account }

func (c customer) keyARN() string { return world.KeyARN(roundTripRegion, c.account, c.keyID()) }

const roundTripRegion = "eu-west-1"

func (c customer) input(vendor seedworld.Vendor) policy.RenderInput {
	in := policy.RenderInput{
		ServiceRoleARN: vendor.ServiceRoleARN(), ClientRoleARN: c.roleARN(), Region: roundTripRegion,
		BucketARN: c.bucketARN(), KeyARN: c.keyARN(),
	}
	if c.mode != policy.Direct {
		in.ExternalID = "ts-" + c.name + "-roundtrip"
	}
	return in
}

// account is the customer's AWS account holding the rendered documents
// verbatim, the way guide 000's CLI commands apply them.
func (c customer) awsAccount(d *policy.Documents) world.Account {
	a := world.Account{ID: c.account, Name: c.name}
	if d.TrustPolicy != nil {
		a.Policies = []world.ManagedPolicy{{Name: policy.PermissionsPolicyName, Document: world.Policy{Text: string(d.PermissionsPolicy)}}}
		a.Roles = []world.Role{{
			Name:            "AlphaSense-DocumentStorage-ClientRole-" + c.name,
			TrustPolicy:     world.Policy{Text: string(d.TrustPolicy)},
			ManagedPolicies: []string{world.PolicyARN(c.account, "", policy.PermissionsPolicyName)},
		}}
	}
	if d.BucketPolicy != nil {
		a.Buckets = []world.Bucket{{
			Name: c.name + "-document-bucket", Region: roundTripRegion, Policy: &world.Policy{Text: string(d.BucketPolicy)},
			// Guide 004, step 3: default encryption SSE-KMS with the key.
			Encryption: world.Encryption{Type: "aws:kms", KMSKeyID: c.keyARN()},
		}}
	}
	a.Keys = []world.Key{{ID: c.keyID(), Region: roundTripRegion, Policy: &world.Policy{Text: string(d.KeyPolicy)}}}
	return a
}

// The rendered documents, applied unedited, pass every check of the
// operator against an AWS that enforces IAM.
func TestRenderedDocumentsPassVerification(t *testing.T) {
	vendor := seedworld.Vendor{}.Fill()
	customers := []customer{
		{"acme", "222222222222", policy.Chained},
		{"globex", "333333333333", policy.KeyOnly},
		{"initech", "444444444444", policy.Direct},
	}
	w, err := seedworld.World(vendor)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]*policy.Documents{}
	for _, c := range customers {
		d, err := policy.Render(c.input(vendor))
		if err != nil {
			t.Fatal(err)
		}
		if d.Mode != c.mode {
			t.Fatalf("%s: mode %s", c.name, d.Mode)
		}
		docs[c.name] = d
		w.Accounts = append(w.Accounts, c.awsAccount(d))
	}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	localawstest.Serve(t, w, localawstest.Identity{AccessKeyID: vendor.AccessKeyID, SecretAccessKey: vendor.SecretAccessKey, Region: "us-east-1"})
	base, err := awsauth.LoadBase(context.Background(), awsauth.BaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := &verify.Verifier{Sessions: awsauth.New(base, vendor.ServiceRoleARN()), ClientRolePattern: vendor.ClientRolePattern}

	for _, c := range customers {
		t.Run(c.name, func(t *testing.T) {
			in := c.input(vendor)
			ts := &storagev1alpha1.TenantStorage{
				ObjectMeta: metav1.ObjectMeta{Namespace: "tenants", Name: c.name, UID: types.UID("uid-" + c.name)},
				Spec: storagev1alpha1.TenantStorageSpec{
					RoleArn: in.ClientRoleARN, Region: in.Region, ExternalID: in.ExternalID,
					BucketArn: in.BucketARN, KMSKeyArn: in.KeyARN, ProbePrefix: storagev1alpha1.DefaultProbePrefix,
					S3Actions: []storagev1alpha1.S3Action{storagev1alpha1.S3GetObject, storagev1alpha1.S3PutObject,
						storagev1alpha1.S3RestoreObject, storagev1alpha1.S3ListBucket, storagev1alpha1.S3DeleteObject},
				},
			}
			r := v.Verify(context.Background(), verify.TenantFrom(ts))

			want := map[string]string{"trust": "True Verified", "permissions": "True Verified", "encryption": "True Verified", "key": "True Verified"}
			switch c.mode {
			case policy.KeyOnly:
				want["permissions"], want["encryption"] = "True NotApplicable", "True NotApplicable"
			case policy.Direct:
				want["trust"] = "True DirectAccess"
			}
			got := map[string]string{}
			for name, check := range map[string]verify.Check{"trust": r.Trust, "permissions": r.Permissions, "encryption": r.Encryption, "key": r.KeyAccess} {
				got[name] = string(check.Status) + " " + check.Reason
				if check.Status != metav1.ConditionTrue {
					t.Logf("%s: %s", name, check.Message)
				}
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("checks: got %v, want %v", got, want)
			}
			var notAllowed []string
			for _, a := range r.Actions {
				if a.Result != storagev1alpha1.ActionAllowed {
					notAllowed = append(notAllowed, a.Action+": "+a.Message)
				}
			}
			wantActions := map[policy.Mode]int{policy.Chained: 10, policy.KeyOnly: 5, policy.Direct: 10}[c.mode]
			if len(notAllowed) > 0 || len(r.Actions) != wantActions {
				t.Fatalf("%d actions, want %d all allowed; not allowed:\n%s", len(r.Actions), wantActions, strings.Join(notAllowed, "\n"))
			}
		})
	}
}
