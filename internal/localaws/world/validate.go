package world

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/tenantstorage/tenantstorage-operator/internal/iampolicy"
)

// Name and format rules, from the IAM, S3 and KMS API references.
var (
	accountRE   = regexp.MustCompile(`^\d{12}$`)
	iamNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	iamPathRE   = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
	policyNmRE  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	accessKeyRE = regexp.MustCompile(`^AKIA[A-Z0-9]{12,124}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	keyIDRE     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	aliasRE     = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)
	bucketRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	keyARNRE    = regexp.MustCompile(`^arn:aws:kms:([a-z0-9-]+):(\d{12}):key/(.+)$`)
)

// Key states a world may declare. The others KMS knows (Creating,
// PendingImport, ...) come from operations localaws does not emulate.
var keyStates = map[string]bool{"Enabled": true, "Disabled": true, "PendingDeletion": true}

// keySpecUsages maps each key spec to the usages KMS allows for it.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-types.html
var keySpecUsages = map[string][]string{
	"SYMMETRIC_DEFAULT": {"ENCRYPT_DECRYPT"},
	"RSA_2048":          {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
	"RSA_3072":          {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
	"RSA_4096":          {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
	"ECC_NIST_P256":     {"SIGN_VERIFY", "KEY_AGREEMENT"},
	"ECC_NIST_P384":     {"SIGN_VERIFY", "KEY_AGREEMENT"},
	"ECC_NIST_P521":     {"SIGN_VERIFY", "KEY_AGREEMENT"},
	"ECC_SECG_P256K1":   {"SIGN_VERIFY"},
	"HMAC_224":          {"GENERATE_VERIFY_MAC"},
	"HMAC_256":          {"GENERATE_VERIFY_MAC"},
	"HMAC_384":          {"GENERATE_VERIFY_MAC"},
	"HMAC_512":          {"GENERATE_VERIFY_MAC"},
}

// Validate checks the world, fills defaults (paths, key state and spec,
// role session limits) and parses every policy document. It reports all
// problems at once.
func (w *World) Validate() error {
	var errs errList
	accounts := map[string]bool{}
	accessKeys := map[string]string{}
	buckets := map[string]bool{}
	keyARNs := map[string]string{} // key ARN -> region
	for ai := range w.Accounts {
		a := &w.Accounts[ai]
		where := fmt.Sprintf("accounts[%d]", ai)
		if !accountRE.MatchString(a.ID) {
			errs.add(where, "id %q is not a 12-digit account ID", a.ID)
		} else if accounts[a.ID] {
			errs.add(where, "account %s is declared twice", a.ID)
		}
		accounts[a.ID] = true
		for ki := range a.Keys {
			k := &a.Keys[ki]
			keyARNs[KeyARN(k.Region, a.ID, k.ID)] = k.Region
		}
	}
	for ai := range w.Accounts {
		a := &w.Accounts[ai]
		where := fmt.Sprintf("accounts[%d] (%s)", ai, a.ID)
		managed := validatePolicies(a, where, &errs)
		iamNames := map[string]string{}
		claim := func(kind, name, at string) {
			if prev, ok := iamNames[strings.ToLower(name)]; ok {
				// IAM names are unique per account regardless of case.
				errs.add(at, "%s name %q is already used by %s", kind, name, prev)
			}
			iamNames[strings.ToLower(name)] = at
		}
		for ui := range a.Users {
			u := &a.Users[ui]
			at := fmt.Sprintf("%s.users[%d] (%s)", where, ui, u.Name)
			checkIAMName(u.Name, u.Path, at, &errs)
			claim("user", u.Name, at)
			if u.Path == "" {
				u.Path = "/"
			}
			for _, k := range u.AccessKeys {
				switch {
				case !accessKeyRE.MatchString(k.ID):
					errs.add(at, "access key id %q must be AKIA followed by 12-124 upper-case letters or digits", k.ID)
				case accessKeys[k.ID] != "":
					errs.add(at, "access key %s is also used by %s", k.ID, accessKeys[k.ID])
				}
				if k.Secret == "" {
					errs.add(at, "access key %s has no secret", k.ID)
				}
				accessKeys[k.ID] = at
			}
			checkInline(u.InlinePolicies, at, &errs)
			checkAttached(u.ManagedPolicies, managed, at, &errs)
			checkTags(u.Tags, at, &errs)
		}
		for ri := range a.Roles {
			r := &a.Roles[ri]
			at := fmt.Sprintf("%s.roles[%d] (%s)", where, ri, r.Name)
			checkIAMName(r.Name, r.Path, at, &errs)
			claim("role", r.Name, at)
			if r.Path == "" {
				r.Path = "/"
			}
			if r.TrustPolicy.Text == "" {
				errs.add(at, "trustPolicy is required")
			} else {
				parsePolicy(&r.TrustPolicy, TrustPolicy, at+".trustPolicy", &errs)
			}
			checkInline(r.InlinePolicies, at, &errs)
			checkAttached(r.ManagedPolicies, managed, at, &errs)
			checkTags(r.Tags, at, &errs)
			if r.MaxSessionDuration == 0 {
				r.MaxSessionDuration = 3600
			}
			// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
			if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200 {
				errs.add(at, "maxSessionDuration %d is outside 3600..43200 seconds", r.MaxSessionDuration)
			}
		}
		for ki := range a.Keys {
			k := &a.Keys[ki]
			at := fmt.Sprintf("%s.keys[%d] (%s)", where, ki, k.ID)
			validateKey(a.ID, k, at, &errs)
		}
		checkAliases(a, where, &errs)
		for bi := range a.Buckets {
			b := &a.Buckets[bi]
			at := fmt.Sprintf("%s.buckets[%d] (%s)", where, bi, b.Name)
			if buckets[b.Name] {
				// Bucket names are global across all accounts.
				errs.add(at, "bucket name %q is already taken", b.Name)
			}
			buckets[b.Name] = true
			validateBucket(b, keyARNs, at, &errs)
		}
	}
	return errs.err()
}

func validatePolicies(a *Account, where string, errs *errList) map[string]bool {
	managed := map[string]bool{}
	for pi := range a.Policies {
		p := &a.Policies[pi]
		at := fmt.Sprintf("%s.policies[%d] (%s)", where, pi, p.Name)
		if !policyNmRE.MatchString(p.Name) {
			errs.add(at, "policy name %q must be 1-128 characters of [\\w+=,.@-]", p.Name)
		}
		if p.Path == "" {
			p.Path = "/"
		}
		if !iamPathRE.MatchString(p.Path) {
			errs.add(at, "path %q must start and end with /", p.Path)
		}
		arn := PolicyARN(a.ID, p.Path, p.Name)
		if managed[arn] {
			errs.add(at, "policy %s is declared twice", arn)
		}
		managed[arn] = true
		parsePolicy(&p.Document, IdentityPolicy, at+".document", errs)
	}
	return managed
}

func checkIAMName(name, path, at string, errs *errList) {
	if !iamNameRE.MatchString(name) {
		errs.add(at, "name %q must be 1-64 characters of [\\w+=,.@-]", name)
	}
	if path != "" && !iamPathRE.MatchString(path) {
		errs.add(at, "path %q must start and end with /", path)
	}
}

func checkInline(policies map[string]Policy, at string, errs *errList) {
	names := make([]string, 0, len(policies))
	for n := range policies {
		names = append(names, n)
	}
	sort.Strings(names) // report in a stable order
	for _, n := range names {
		if !policyNmRE.MatchString(n) {
			errs.add(at, "inline policy name %q must be 1-128 characters of [\\w+=,.@-]", n)
		}
		p := policies[n]
		parsePolicy(&p, IdentityPolicy, at+".inlinePolicies."+n, errs)
		policies[n] = p
	}
}

func checkAttached(arns []string, managed map[string]bool, at string, errs *errList) {
	for _, arn := range arns {
		if !managed[arn] {
			errs.add(at, "managed policy %s is not declared in this account's policies", arn)
		}
	}
}

// checkTags applies IAM's tag limits.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
func checkTags(tags map[string]string, at string, errs *errList) {
	if len(tags) > 50 {
		errs.add(at, "%d tags; IAM allows 50", len(tags))
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			errs.add(at, "tag %q=%q: keys are 1-128 characters not starting with aws:, values up to 256", k, v)
		}
	}
}

func parsePolicy(p *Policy, kind PolicyKind, at string, errs *errList) {
	doc, err := iampolicy.Parse([]byte(p.Text))
	if err == nil {
		err = CheckKind(doc, kind)
	}
	if err != nil {
		errs.add(at, "%v", err)
		return
	}
	p.Doc = doc
}

func validateKey(account string, k *Key, at string, errs *errList) {
	if !keyIDRE.MatchString(k.ID) {
		errs.add(at, "id %q is not a key ID (a lower-case UUID)", k.ID)
	}
	if !regionRE.MatchString(k.Region) {
		errs.add(at, "region %q is not a region name", k.Region)
	}
	if k.State == "" {
		k.State = "Enabled"
	}
	if !keyStates[k.State] {
		errs.add(at, "state %q must be Enabled, Disabled or PendingDeletion", k.State)
	}
	if k.KeySpec == "" {
		k.KeySpec = "SYMMETRIC_DEFAULT"
	}
	usages, ok := keySpecUsages[k.KeySpec]
	if !ok {
		errs.add(at, "keySpec %q is not a KMS key spec", k.KeySpec)
	}
	if k.KeyUsage == "" && ok {
		k.KeyUsage = usages[0]
	}
	if ok && !slices.Contains(usages, k.KeyUsage) {
		errs.add(at, "keyUsage %q is not valid for %s (use one of %s)", k.KeyUsage, k.KeySpec, strings.Join(usages, ", "))
	}
	if k.Policy == nil {
		k.Policy = &Policy{Text: DefaultKeyPolicy(account)}
	}
	parsePolicy(k.Policy, ResourcePolicy, at+".policy", errs)
}

func checkAliases(a *Account, where string, errs *errList) {
	seen := map[string]string{}
	for ki := range a.Keys {
		k := &a.Keys[ki]
		for _, al := range k.Aliases {
			at := fmt.Sprintf("%s.keys[%d] (%s)", where, ki, k.ID)
			if !aliasRE.MatchString(al) || strings.HasPrefix(al, "alias/aws/") {
				// alias/aws/ is reserved for AWS managed keys.
				errs.add(at, "alias %q must be alias/ followed by [a-zA-Z0-9/_-] and not start with alias/aws/", al)
			}
			// Aliases are unique per account and region.
			id := k.Region + " " + al
			if prev, dup := seen[id]; dup {
				errs.add(at, "alias %s in %s is already used by %s", al, k.Region, prev)
			}
			seen[id] = k.ID
		}
	}
}

func validateBucket(b *Bucket, keys map[string]string, at string, errs *errList) {
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
	if !bucketRE.MatchString(b.Name) || strings.Contains(b.Name, "..") {
		errs.add(at, "name %q breaks the bucket naming rules (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)", b.Name)
	}
	if !regionRE.MatchString(b.Region) {
		errs.add(at, "region %q is not a region name", b.Region)
	}
	if b.Policy != nil {
		parsePolicy(b.Policy, ResourcePolicy, at+".policy", errs)
	}
	if err := CheckEncryption(&b.Encryption, b.Region, func(arn string) (string, bool) {
		r, ok := keys[arn]
		return r, ok
	}); err != nil {
		errs.add(at, "encryption: %v", err)
	}
	switch b.Versioning {
	case "", "Enabled", "Suspended":
	default:
		errs.add(at, "versioning %q must be Enabled, Suspended or empty", b.Versioning)
	}
}

// CheckEncryption validates a default encryption configuration and fills in
// the AES256 default. keyRegion reports whether a key ARN exists and its
// region; the key must be in the bucket's region because S3 only calls KMS
// there.
func CheckEncryption(e *Encryption, bucketRegion string, keyRegion func(arn string) (string, bool)) error {
	switch e.Type {
	case "", "AES256":
		e.Type = "AES256"
		if e.KMSKeyID != "" {
			return fmt.Errorf("kmsKeyId is only valid with type aws:kms")
		}
	case "aws:kms":
		if !keyARNRE.MatchString(e.KMSKeyID) {
			return fmt.Errorf("kmsKeyId %q must be a full key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", e.KMSKeyID)
		}
		r, ok := keyRegion(e.KMSKeyID)
		if !ok {
			return fmt.Errorf("key %s is not declared in the world", e.KMSKeyID)
		}
		if r != bucketRegion {
			return fmt.Errorf("key %s is in %s but the bucket is in %s", e.KMSKeyID, r, bucketRegion)
		}
	default:
		return fmt.Errorf("type %q must be AES256 or aws:kms", e.Type)
	}
	return nil
}
