package iampolicy

import "testing"

// BenchmarkEvaluate authorizes a client-role session's GetObject against a
// seed-style role policy and a bucket policy with conditions, as localaws
// does for every S3 call.
func BenchmarkEvaluate(b *testing.B) {
	rolePolicy := MustParse(`{"Version":"2012-10-17","Statement":[
		{"Sid":"ListBucket","Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::docs-bucket",
		 "Condition":{"StringLike":{"s3:prefix":["tenant/*",""]}}},
		{"Sid":"Objects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject","s3:RestoreObject"],"Resource":"arn:aws:s3:::docs-bucket/tenant/*"},
		{"Sid":"Key","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey","kms:DescribeKey"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/*",
		 "Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`)
	bucketPol := MustParse(`{"Version":"2012-10-17","Statement":[
		{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::docs-bucket","arn:aws:s3:::docs-bucket/*"],
		 "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Sid":"DenyOthers","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::docs-bucket/*",
		 "Condition":{"StringNotEquals":{"aws:PrincipalArn":["arn:aws:iam::111122223333:role/AlphaSense-DocumentStorage-ClientRole-acme","arn:aws:iam::111122223333:role/admin"]}}},
		{"Sid":"AllowClientRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/AlphaSense-DocumentStorage-ClientRole-acme"},
		 "Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::docs-bucket/tenant/*",
		 "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`)
	req := Request{
		Caller: Caller{
			ARN:     "arn:aws:sts::111122223333:assumed-role/AlphaSense-DocumentStorage-ClientRole-acme/operator",
			Account: "111122223333",
			RoleARN: "arn:aws:iam::111122223333:role/AlphaSense-DocumentStorage-ClientRole-acme",
		},
		Action:   "s3:GetObject",
		Resource: "arn:aws:s3:::docs-bucket/tenant/reports/2026/q1.pdf",
		Context: Context{}.Set("aws:SecureTransport", "true").Set("aws:SourceIp", "203.0.113.7").
			Set("aws:CurrentTime", "2026-05-01T12:00:00Z"),
	}
	in := Inputs{Identity: []*Document{rolePolicy}, Resource: bucketPol, ResourceAccount: "111122223333"}
	if d := Evaluate(req, in); !d.Allowed {
		b.Fatalf("benchmark request denied: %s", d.Reason)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, in)
	}
}
