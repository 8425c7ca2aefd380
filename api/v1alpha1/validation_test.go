package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
)

// seedExample loads seed 000's example configuration (testdata names the
// seed) as an unstructured object, so cases can write values of any type.
func seedExample() *unstructured.Unstructured {
	data, err := os.ReadFile("testdata/seed-000-example-configuration.yaml")
	Expect(err).NotTo(HaveOccurred())
	obj := &unstructured.Unstructured{}
	Expect(yaml.Unmarshal(data, &obj.Object)).To(Succeed())
	obj.SetNamespace("default")
	return obj
}

var nameSeq int

func create(obj *unstructured.Unstructured) error {
	nameSeq++
	obj.SetName(fmt.Sprintf("case-%d", nameSeq))
	return k8sClient.Create(context.Background(), obj)
}

type spec = map[string]any

func set(field string, value any) func(spec) {
	return func(s spec) { s[field] = value }
}

func unset(fields ...string) func(spec) {
	return func(s spec) {
		for _, f := range fields {
			delete(s, f)
		}
	}
}

func all(edits ...func(spec)) func(spec) {
	return func(s spec) {
		for _, e := range edits {
			e(s)
		}
	}
}

var _ = Describe("admission", func() {
	DescribeTable("rejects invalid specs with a message that says what to fix",
		func(edit func(spec), field, message string) {
			obj := seedExample()
			edit(obj.Object["spec"].(map[string]any))
			err := create(obj)
			Expect(err).To(HaveOccurred())
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring(field + ": "))
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("no bucket and no key", unset("bucketArn", "kmsKeyArn"),
			"spec", "set bucketArn, kmsKeyArn or both: a tenant brings a bucket, a key, or both"),
		Entry("region missing", unset("region"),
			"spec.region", "Required value"),
		Entry("region in upper case", set("region", "US-EAST-1"),
			"spec.region", "region must be an AWS region code such as us-east-1, eu-west-2, cn-north-1 or us-gov-west-1"),
		Entry("region without dashes", set("region", "useast1"),
			"spec.region", "region must be an AWS region code"),
		Entry("roleArn of a user", set("roleArn", "arn:aws:iam::123456789012:user/bob"),
			"spec.roleArn", "roleArn must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/"),
		Entry("roleArn of a session", set("roleArn", "arn:aws:sts::123456789012:assumed-role/AlphaSense-DocumentStorage-ClientRole/s"),
			"spec.roleArn", "roleArn must be an IAM role ARN"),
		Entry("roleArn with an 11-digit account", set("roleArn", "arn:aws:iam::12345678901:role/AlphaSense-DocumentStorage-ClientRole"),
			"spec.roleArn", "roleArn must be an IAM role ARN"),
		Entry("roleArn with the guide's placeholder account", set("roleArn", "arn:aws:iam::CLIENT-ACCOUNT:role/AlphaSense-DocumentStorage-ClientRole"),
			"spec.roleArn", "roleArn must be an IAM role ARN"),
		Entry("roleArn in an unknown partition", set("roleArn", "arn:aws-iso:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole"),
			"spec.roleArn", "roleArn's partition must be aws, aws-cn or aws-us-gov"),
		Entry("roleArn with a 65-character name", set("roleArn", "arn:aws:iam::123456789012:role/"+strings.Repeat("r", 65)),
			"spec.roleArn", "roleArn must be an IAM role ARN"),
		Entry("bucketArn with an object key", set("bucketArn", "arn:aws:s3:::client-document-bucket/docs/*"),
			"spec.bucketArn", "bucketArn must be an S3 bucket ARN such as arn:aws:s3:::client-document-bucket, with no object key, path or wildcard"),
		Entry("bucketArn with a wildcard", set("bucketArn", "arn:aws:s3:::client-*"),
			"spec.bucketArn", "with no object key, path or wildcard"),
		Entry("bucketArn with upper-case letters", set("bucketArn", "arn:aws:s3:::Client-Document-Bucket"),
			"spec.bucketArn", "the bucket name in bucketArn must be 3-63 characters of lowercase letters, digits, dots and hyphens"),
		Entry("bucketArn with a 2-character name", set("bucketArn", "arn:aws:s3:::ab"),
			"spec.bucketArn", "the bucket name in bucketArn must be 3-63 characters"),
		Entry("bucketArn ending with a hyphen", set("bucketArn", "arn:aws:s3:::client-bucket-"),
			"spec.bucketArn", "begin and end with a letter or digit"),
		Entry("bucketArn with adjacent periods", set("bucketArn", "arn:aws:s3:::client..bucket"),
			"spec.bucketArn", "the bucket name in bucketArn must not contain two adjacent periods"),
		Entry("bucketArn formatted as an IP address", set("bucketArn", "arn:aws:s3:::192.168.5.4"),
			"spec.bucketArn", "the bucket name in bucketArn must not be formatted as an IP address"),
		Entry("bucketArn with a reserved prefix", set("bucketArn", "arn:aws:s3:::xn--client-bucket"),
			"spec.bucketArn", "uses a prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3) that S3 reserves"),
		Entry("bucketArn with a reserved suffix", set("bucketArn", "arn:aws:s3:::client-bucket-s3alias"),
			"spec.bucketArn", "that S3 reserves"),
		Entry("kmsKeyArn naming an alias", set("kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:alias/client-key"),
			"spec.kmsKeyArn", "kmsKeyArn must be a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012 (an alias or bare key ID is not accepted)"),
		Entry("kmsKeyArn as a bare key ID", set("kmsKeyArn", "12345678-1234-1234-1234-123456789012"),
			"spec.kmsKeyArn", "kmsKeyArn must be a KMS key ARN"),
		Entry("kmsKeyArn with the guide's placeholders", set("kmsKeyArn", "arn:aws:kms:us-east-1:[Your-Account-ID]:key/[Your-KMS-Key-ID]"),
			"spec.kmsKeyArn", "kmsKeyArn must be a KMS key ARN"),
		Entry("kmsKeyArn in another region", set("kmsKeyArn", "arn:aws:kms:us-west-2:123456789012:key/12345678-1234-1234-1234-123456789012"),
			"spec", "kmsKeyArn is in region us-west-2 but region is us-east-1: the key must be in the tenant region, the same region as the bucket"),
		Entry("bucketArn in aws-cn with a us-east-1 tenant", set("bucketArn", "arn:aws-cn:s3:::client-document-bucket"),
			"spec", "bucketArn must be in partition aws, the partition of region us-east-1: all ARNs of a tenant share one partition"),
		Entry("roleArn in aws with a China tenant", all(set("region", "cn-north-1"),
			set("kmsKeyArn", "arn:aws-cn:kms:cn-north-1:123456789012:key/12345678-1234-1234-1234-123456789012"),
			set("bucketArn", "arn:aws-cn:s3:::client-document-bucket")),
			"spec", "roleArn must be in partition aws-cn, the partition of region cn-north-1: all ARNs of a tenant share one partition"),
		Entry("kmsKeyArn in aws with a GovCloud tenant", all(set("region", "us-gov-west-1"),
			set("roleArn", "arn:aws-us-gov:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole"),
			set("bucketArn", "arn:aws-us-gov:s3:::client-document-bucket"),
			set("kmsKeyArn", "arn:aws:kms:us-gov-west-1:123456789012:key/12345678-1234-1234-1234-123456789012")),
			"spec", "kmsKeyArn must be in partition aws-us-gov, the partition of region us-gov-west-1"),
		Entry("externalId of one character", set("externalId", "x"),
			"spec.externalId", "should be at least 2 chars long"),
		Entry("externalId of 1225 characters", set("externalId", strings.Repeat("x", 1225)),
			"spec.externalId", "may not be more than 1224 bytes"),
		Entry("externalId with spaces", set("externalId", "client unique id"),
			"spec.externalId", "externalId may contain only letters, digits and the characters _+=,.@:/- (AWS's ExternalId format)"),
		Entry("externalId with a hash", set("externalId", "client#2024"),
			"spec.externalId", "externalId may contain only letters, digits"),
		Entry("externalId without roleArn", unset("roleArn"),
			"spec", "externalId is only sent when assuming roleArn: set roleArn or remove externalId"),
		Entry("sessionDuration over the 1-hour chaining cap", set("sessionDuration", "2h"),
			"spec.sessionDuration", "sessionDuration must be between 15m and 1h: AWS caps role-chained sessions at 1 hour and issues none shorter than 15 minutes"),
		Entry("sessionDuration under 15 minutes", set("sessionDuration", "10m"),
			"spec.sessionDuration", "sessionDuration must be between 15m and 1h"),
		Entry("sessionDuration in words", set("sessionDuration", "one hour"),
			"spec.sessionDuration", "sessionDuration must be a duration such as 30m or 1h"),
		Entry("verifyInterval of one second", set("verifyInterval", "1s"),
			"spec.verifyInterval", "verifyInterval must be between 5s and 24h"),
		Entry("verifyInterval of two days", set("verifyInterval", "48h"),
			"spec.verifyInterval", "verifyInterval must be between 5s and 24h"),
		Entry("an S3 action the guide does not use", set("s3Actions", []any{"s3:GetObject", "s3:GetBucketPolicy"}),
			"spec.s3Actions[1]", `Unsupported value: "s3:GetBucketPolicy"`),
		Entry("no S3 actions", set("s3Actions", []any{}),
			"spec.s3Actions", "should have at least 1 items"),
		Entry("the same S3 action twice", set("s3Actions", []any{"s3:GetObject", "s3:GetObject"}),
			"spec.s3Actions[1]", "Duplicate value"),
		Entry("probePrefix without a trailing slash", set("probePrefix", "probe"),
			"spec.probePrefix", "probePrefix must be a key prefix such as .tenantstorage-probe/: ending with /, not starting with /, and without //"),
		Entry("probePrefix starting with a slash", set("probePrefix", "/probe/"),
			"spec.probePrefix", "probePrefix must be a key prefix"),
		Entry("probePrefix with a space", set("probePrefix", "tenant a/probe/"),
			"spec.probePrefix", "probePrefix may contain only letters, digits and the characters !_.*()/- (S3's safe key characters)"),
		Entry("secret name with an underscore", set("secret", map[string]any{"name": "Client_Storage"}),
			"spec.secret.name", "secret.name must be a DNS subdomain"),
		Entry("secret mode unknown", set("secret", map[string]any{"mode": "Everything"}),
			"spec.secret.mode", `Unsupported value: "Everything"`),
		Entry("secret minRemaining of 45 minutes", set("secret", map[string]any{"minRemaining": "45m"}),
			"spec.secret.minRemaining", "secret.minRemaining must be between 1m and 30m"),
		Entry("secret minRemaining as long as the session", all(set("sessionDuration", "15m"), set("secret", map[string]any{"minRemaining": "20m"})),
			"spec", "secret.minRemaining must be shorter than sessionDuration, or no credentials could ever be handed out"),
	)

	It("accepts seed 000's example configuration and fills in the defaults", func() {
		obj := seedExample()
		Expect(create(obj)).To(Succeed())

		got := &storagev1alpha1.TenantStorage{}
		Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(obj), got)).To(Succeed())
		Expect(got.Spec.RoleArn).To(Equal("arn:aws:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole"))
		Expect(got.Spec.ExternalID).To(Equal("client-unique-external-id-2024"))
		Expect(got.Spec.S3Actions).To(Equal([]storagev1alpha1.S3Action{
			storagev1alpha1.S3GetObject, storagev1alpha1.S3PutObject, storagev1alpha1.S3RestoreObject,
			storagev1alpha1.S3ListBucket, storagev1alpha1.S3DeleteObject,
		}))
		Expect(got.Spec.ProbePrefix).To(Equal(".tenantstorage-probe/"))
		Expect(got.Spec.VerifyInterval.Duration.String()).To(Equal("10m0s"))
		Expect(got.Spec.SessionDuration.Duration.String()).To(Equal("1h0m0s"))
		Expect(got.Spec.Secret.Mode).To(Equal(storagev1alpha1.SecretModeCredentials))
		Expect(got.Spec.Secret.MinRemaining.Duration.String()).To(Equal("5m0s"))
	})

	DescribeTable("accepts the other shapes the guides describe",
		func(edit func(spec)) {
			obj := seedExample()
			edit(obj.Object["spec"].(map[string]any))
			Expect(create(obj)).To(Succeed())
		},
		Entry("KMS only (seed 000, bring your own key)", unset("bucketArn")),
		Entry("bucket and key with direct access (seed 004, Option A)", unset("roleArn", "externalId")),
		Entry("a role with a path", set("roleArn", "arn:aws:iam::123456789012:role/storage/AlphaSense-DocumentStorage-ClientRole-acme")),
		Entry("a multi-Region key", set("kmsKeyArn", "arn:aws:kms:us-east-1:123456789012:key/mrk-1234567890abcdef1234567890abcdef")),
		Entry("a China tenant", all(set("region", "cn-north-1"),
			set("roleArn", "arn:aws-cn:iam::123456789012:role/AlphaSense-DocumentStorage-ClientRole"),
			set("bucketArn", "arn:aws-cn:s3:::client-document-bucket"),
			set("kmsKeyArn", "arn:aws-cn:kms:cn-north-1:123456789012:key/12345678-1234-1234-1234-123456789012"))),
		Entry("the versioned actions and a short interval", all(
			set("s3Actions", []any{"s3:GetObject", "s3:PutObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"}),
			set("verifyInterval", "5s"), set("sessionDuration", "15m"))),
	)
})
