// Package seedworld builds localaws worlds in which a vendor and its
// customers are set up the way the onboarding guides say, from the guides'
// own policy documents (internal/seeds) with the placeholders filled in.
// The integration tests, the demo and the fleet benchmark start from these
// worlds and then break them on purpose.
package seedworld

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/tenantstorage/tenantstorage-operator/internal/localaws/world"
	"github.com/tenantstorage/tenantstorage-operator/internal/seeds"
)

// SeedClientRolePattern is the Resource of the service role's sts:AssumeRole
// permission in onboarding guide 000, Step 1, verbatim.
const SeedClientRolePattern = "arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole-*"

// ClientRolePattern is the pattern the vendor's service role uses here. The
// guide's own CLI creates a role named exactly
// "AlphaSense-DocumentStorage-ClientRole", which SeedClientRolePattern does
// not match (the "-" before "*"), so a customer following the CLI to the
// letter would be refused. The vendor owns this policy and fixes it by
// dropping the hyphen, which admits both names.
const ClientRolePattern = "arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole*"

// SeedClientRoleName is the role name of the guide's CLI (create-role).
const SeedClientRoleName = "AlphaSense-DocumentStorage-ClientRole"

// Vendor is the vendor's account: a base identity (an IAM user with access
// keys, standing in for IRSA or Pod Identity) and the service role it
// assumes (guide 000's document-storage-role).
type Vendor struct {
	AccountID       string
	AccessKeyID     string
	SecretAccessKey string
	// ClientRolePattern is the Resource of the service role's AssumeRole
	// permission; ClientRolePattern by default.
	ClientRolePattern string
}

// Fill returns v with defaults for the empty fields.
func (v Vendor) Fill() Vendor {
	if v.AccountID == "" {
		v.AccountID = "111111111111"
	}
	if v.AccessKeyID == "" {
		v.AccessKeyID = "AKIAVENDOR0OPERATOR1"
	}
	if v.SecretAccessKey == "" {
		v.SecretAccessKey = "vendor-operator-secret-key-000000000000000"
	}
	if v.ClientRolePattern == "" {
		v.ClientRolePattern = ClientRolePattern
	}
	return v
}

// UserARN is the base identity.
func (v Vendor) UserARN() string { return world.UserARN(v.AccountID, "", "tenantstorage-operator") }

// ServiceRoleARN is guide 000's document-storage-role.
func (v Vendor) ServiceRoleARN() string {
	return world.RoleARN(v.AccountID, "", "document-storage-role")
}

// Mode is how a customer grants access.
type Mode int

const (
	// Chained: the customer's client role, assumed with an ExternalId, may
	// use the customer's bucket and key (guide 000, Steps 2-4 and the CLI).
	Chained Mode = iota
	// KeyOnly: the client role may use the customer's key; documents stay
	// in the vendor's bucket (guide 000, "For KMS Only Access").
	KeyOnly
	// Direct: the bucket and key policies name the vendor's service role;
	// no client role (guide 004, Option A).
	Direct
)

// Customer is one customer's account, set up as the guides say.
type Customer struct {
	Name       string
	AccountID  string
	Region     string
	Mode       Mode
	ExternalID string
	// RoleName defaults to the guide CLI's role name.
	RoleName string
	// BucketPolicy replaces the guide's bucket policy when set.
	BucketPolicy string
	// PermissionsPolicy replaces the guide's permission policy (the managed
	// policy AlphaSense-DocumentStorage-Policy of the client role) when set,
	// for customers who left something out of it.
	PermissionsPolicy string
}

// Fill returns c with defaults for the empty fields.
func (c Customer) Fill() Customer {
	if c.Region == "" {
		c.Region = "us-east-1" // the guide's permission policy names us-east-1 keys
	}
	if c.RoleName == "" {
		c.RoleName = SeedClientRoleName
	}
	if c.ExternalID == "" && c.Mode != Direct {
		c.ExternalID = c.Name + "-external-id-2024"
	}
	return c
}

// BucketName is the customer's bucket.
func (c Customer) BucketName() string { return c.Name + "-document-bucket" }

// KeyID is a stable key ID derived from the customer's name.
func (c Customer) KeyID() string {
	sum := sha256.Sum256([]byte(c.Name))
	h := hex.EncodeToString(sum[:])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// RoleARN is the customer's client role ("" in Direct mode).
func (c Customer) RoleARN() string {
	if c.Mode == Direct {
		return ""
	}
	return world.RoleARN(c.AccountID, "", c.RoleName)
}

// BucketARN is the customer's bucket ("" in KeyOnly mode).
func (c Customer) BucketARN() string {
	if c.Mode == KeyOnly {
		return ""
	}
	return world.BucketARN(c.BucketName())
}

// KeyARN is the customer's key.
func (c Customer) KeyARN() string { return world.KeyARN(c.Region, c.AccountID, c.KeyID()) }

// World builds the vendor's and the customers' accounts.
func World(v Vendor, customers ...Customer) (*world.World, error) {
	v = v.Fill()
	w := &world.World{}
	vendor, err := v.account()
	if err != nil {
		return nil, err
	}
	w.Accounts = append(w.Accounts, vendor)
	for _, c := range customers {
		a, err := c.Fill().account(v)
		if err != nil {
			return nil, fmt.Errorf("customer %s: %w", c.Name, err)
		}
		w.Accounts = append(w.Accounts, a)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

func (v Vendor) account() (world.Account, error) {
	serviceRolePolicy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":%q}]}`, v.ClientRolePattern)
	// Direct-mode customers' bucket and key policies name the service
	// role; cross-account access also needs its own policy to allow it.
	directAccess := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:RestoreObject","s3:ListBucket","s3:DeleteObject","s3:GetObjectVersion","s3:DeleteObjectVersion"],"Resource":"*"},
		{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}]}`
	return world.Account{
		ID:   v.AccountID,
		Name: "vendor",
		Users: []world.User{{
			Name:       "tenantstorage-operator",
			AccessKeys: []world.AccessKey{{ID: v.AccessKeyID, Secret: v.SecretAccessKey}},
			InlinePolicies: map[string]world.Policy{"assume-service-role": {Text: fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":%q}]}`, v.ServiceRoleARN())}},
		}},
		Roles: []world.Role{{
			Name: "document-storage-role",
			TrustPolicy: world.Policy{Text: fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":"sts:AssumeRole"}]}`, v.UserARN())},
			InlinePolicies: map[string]world.Policy{
				"assume-client-roles": {Text: serviceRolePolicy},
				"direct-access":       {Text: directAccess},
			},
		}},
	}, nil
}

// Values fill the guides' placeholders for c and its vendor.
func (c Customer) Values(v Vendor) seeds.Values {
	return seeds.Values{
		VendorAccountID:        v.AccountID,
		CustomerAccountID:      c.AccountID,
		ClientRoleName:         c.RoleName,
		KMSKeyID:               c.KeyID(),
		BucketName:             c.BucketName(),
		CustomerFacingRoleName: "document-storage-role",
		ExternalID:             c.ExternalID,
	}
}

func (c Customer) account(v Vendor) (world.Account, error) {
	values := c.Values(v)
	fill := func(name string) (world.Policy, error) {
		text, err := seeds.Fill(name, values)
		return world.Policy{Text: string(text)}, err
	}
	a := world.Account{ID: c.AccountID, Name: c.Name}

	// The key: guide 000's key policy statement, after the standard root
	// statement that lets the account's IAM policies grant the key too.
	statement, err := seeds.Fill("000-kms-key-policy-statement.json", values)
	if err != nil {
		return a, err
	}
	if c.Mode == Direct {
		// Guide 004 Option A: the statement names the vendor's role.
		statement, err = seeds.Fill("000-kms-key-policy-statement.json", seeds.Values{
			CustomerAccountID: v.AccountID, ClientRoleName: "document-storage-role",
		})
		if err != nil {
			return a, err
		}
	}
	keyPolicy, err := seeds.KeyPolicy(statement, c.AccountID, true)
	if err != nil {
		return a, err
	}
	a.Keys = []world.Key{{ID: c.KeyID(), Region: c.Region, Policy: &world.Policy{Text: string(keyPolicy)}}}

	if c.Mode != Direct {
		trust, err := fill("000-cli-trust-policy.json")
		if err != nil {
			return a, err
		}
		permissions := "000-cli-permissions-policy.json"
		if c.Mode == KeyOnly {
			permissions = "000-client-kms-policy.json"
		}
		doc, err := fill(permissions)
		if err != nil {
			return a, err
		}
		if c.PermissionsPolicy != "" {
			doc = world.Policy{Text: c.PermissionsPolicy}
		}
		a.Policies = []world.ManagedPolicy{{Name: "AlphaSense-DocumentStorage-Policy", Document: doc}}
		a.Roles = []world.Role{{
			Name:            c.RoleName,
			TrustPolicy:     trust,
			ManagedPolicies: []string{world.PolicyARN(c.AccountID, "", "AlphaSense-DocumentStorage-Policy")},
		}}
	}

	if c.Mode != KeyOnly {
		policy := world.Policy{Text: c.BucketPolicy}
		if c.BucketPolicy == "" {
			name := "000-bucket-policy.json"
			if c.Mode == Direct {
				name = "004-option-a-bucket-policy.json"
			}
			if policy, err = fill(name); err != nil {
				return a, err
			}
		}
		a.Buckets = []world.Bucket{{
			Name: c.BucketName(), Region: c.Region, Policy: &policy,
			Encryption: world.Encryption{Type: "aws:kms", KMSKeyID: c.KeyARN()},
		}}
	}
	return a, nil
}
