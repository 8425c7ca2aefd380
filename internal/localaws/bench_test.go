package localaws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// BenchmarkSignedRequests measures what the fleet benchmark relies on:
// signed requests from the real SDK over loopback, authenticated and
// authorized by the emulator. HeadObject goes through a role session, the
// bucket policy and the role's managed policy.
func BenchmarkSignedRequests(b *testing.B) {
	e := newEnv(b)
	vendor := e.vendor()
	client := e.clientSession()
	put(b, client, docBucket, "bench", "x")
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	}
	b.Run("GetCallerIdentity", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := vendor.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		report(b)
	})
	b.Run("HeadObject", func(b *testing.B) {
		in := &s3.HeadObjectInput{Bucket: aws.String(docBucket), Key: aws.String("bench")}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := client.s3.HeadObject(ctx, in); err != nil {
					b.Error(err)
					return
				}
			}
		})
		report(b)
	})
}
